/**
 * INFO's ranges section: what this node holds, from its own replicas, with
 * no call to another node. Totals first — replicas here, ranges led here,
 * and the keys, estimated bytes and ops/s summed over the ranges led here
 * (a leader's figures are its range's; a follower's keys repeat its
 * leader's, and its ops/s counts only the reads it served) — then one line
 * per replica, in range id order, in the form of Redis's `db0:keys=…` lines:
 *
 *   range2:role=leader,span=slots 0-16383,keys=10,bytes=1234,ops_per_sec=3.50
 *
 * A node may hold thousands of replicas: at most `linesMax` are listed, and
 * `ranges_not_listed` says how many were left out.
 */
import type { RespLocalRange } from "./options.js";

/** Most replica lines INFO lists. */
export const INFO_RANGE_LINES_MAX = 1000;

type Section = readonly (readonly [string, string | number])[];

export function rangesSection(
  ranges: readonly RespLocalRange[],
  linesMax = INFO_RANGE_LINES_MAX,
): Section {
  let leading = 0;
  let keys = 0;
  let bytes = 0;
  let opsPerSec = 0;
  for (const r of ranges) {
    if (r.role !== "leader") continue;
    leading++;
    keys += r.keys;
    bytes += r.bytes;
    opsPerSec += r.opsPerSec;
  }
  const listed = ranges.slice(0, linesMax);
  const lines: (readonly [string, string | number])[] = [
    ["ranges", ranges.length],
    ["ranges_leading", leading],
    ["ranges_keys", keys],
    ["ranges_bytes", bytes],
    ["ranges_ops_per_sec", opsPerSec.toFixed(2)],
    ...listed.map(
      (r) =>
        [
          `range${r.rangeId}`,
          `role=${r.role},span=${r.span},keys=${r.keys},bytes=${r.bytes},ops_per_sec=${r.opsPerSec.toFixed(2)}`,
        ] as const,
    ),
  ];
  if (ranges.length > listed.length)
    lines.push(["ranges_not_listed", ranges.length - listed.length]);
  return lines;
}
