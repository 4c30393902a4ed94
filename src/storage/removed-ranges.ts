/**
 * The last log position of each range whose replica was destroyed here
 * (removed from its range, or found no longer a member). A replica created
 * later for the same range (re-added, or contacted by a leader) votes no
 * lower than that position (raft Config `voteFloor`): the destroyed replica
 * may have been part of the quorum that committed entries up to it, and a
 * stale candidate that still counts this node as a voter must not win its
 * vote with a log that lacks them. Node ids are Raft ids here, so nothing
 * else tells a replica of this node from the one destroyed before it.
 *
 * Stored in the `meta` database under `removed/<rangeId>` (it must outlive
 * the range's Raft state and its span, which the destruction deletes). The
 * value is `index (u64 BE) | term (u64 BE)` followed by a CRC-32C.
 *
 * Also here, under `lingering/<rangeId>`: the term in which a replica of this
 * node applied its own removal while it led (`term (u64 BE)` and a CRC-32C).
 * Such a replica lingers, still voting, until the voters left have learnt
 * that the change committed (replica.ts `Lingering`); the record makes a
 * restart resume that instead of destroying the replica at once. It is node
 * state, not range state, so it lives outside the range's keys (a snapshot
 * must not carry it), and goes when the lingering ends.
 */
import { type LogIndex, logIndex, type Term, TesseraError, term } from "../lib/index.js";
import { crc32c } from "./crc32c.js";

export interface LogPosition {
  readonly index: LogIndex;
  readonly term: Term;
}

const PREFIX = "removed/";
const LINGERING_PREFIX = "lingering/";

export function removedRangeKey(rangeId: number): Uint8Array {
  return new TextEncoder().encode(PREFIX + String(rangeId));
}

export function lingeringRangeKey(rangeId: number): Uint8Array {
  return new TextEncoder().encode(LINGERING_PREFIX + String(rangeId));
}

/** `values` as u64 BE each, followed by a CRC-32C of them. */
function encodeChecked(values: readonly number[]): Uint8Array {
  const bytes = values.length * 8;
  const out = new Uint8Array(bytes + 4);
  const view = new DataView(out.buffer);
  for (const [i, v] of values.entries()) view.setBigUint64(i * 8, BigInt(v));
  view.setUint32(bytes, crc32c(out.subarray(0, bytes)));
  return out;
}

function decodeChecked(raw: Uint8Array, count: number, what: string): number[] {
  const bytes = count * 8;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (raw.byteLength !== bytes + 4 || view.getUint32(bytes) !== crc32c(raw.subarray(0, bytes))) {
    throw new TesseraError("CORRUPTION", `${what} record is damaged`);
  }
  return Array.from({ length: count }, (_, i) => Number(view.getBigUint64(i * 8)));
}

export function encodeRemovedPosition(p: LogPosition): Uint8Array {
  return encodeChecked([p.index, p.term]);
}

export function decodeRemovedPosition(raw: Uint8Array): LogPosition {
  const [index, t] = decodeChecked(raw, 2, "a removed range's log position") as [number, number];
  return { index: logIndex(index), term: term(t) };
}

export function encodeLingeringTerm(t: Term): Uint8Array {
  return encodeChecked([t]);
}

export function decodeLingeringTerm(raw: Uint8Array): Term {
  return term(decodeChecked(raw, 1, "a lingering replica's")[0] as number);
}

/** The later of two log positions, in Raft's order (term first, then index). */
export function laterPosition(a: LogPosition, b: LogPosition): LogPosition {
  return a.term > b.term || (a.term === b.term && a.index >= b.index) ? a : b;
}
