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
 */
import { type LogIndex, logIndex, type Term, TesseraError, term } from "../lib/index.js";
import { crc32c } from "./crc32c.js";

export interface LogPosition {
  readonly index: LogIndex;
  readonly term: Term;
}

const PREFIX = "removed/";
const BYTES = 16;

export function removedRangeKey(rangeId: number): Uint8Array {
  return new TextEncoder().encode(PREFIX + String(rangeId));
}

export function encodeRemovedPosition(p: LogPosition): Uint8Array {
  const out = new Uint8Array(BYTES + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(p.index));
  view.setBigUint64(8, BigInt(p.term));
  view.setUint32(BYTES, crc32c(out.subarray(0, BYTES)));
  return out;
}

export function decodeRemovedPosition(raw: Uint8Array): LogPosition {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (raw.byteLength !== BYTES + 4 || view.getUint32(BYTES) !== crc32c(raw.subarray(0, BYTES))) {
    throw new TesseraError("CORRUPTION", "a removed range's log position record is damaged");
  }
  return {
    index: logIndex(Number(view.getBigUint64(0))),
    term: term(Number(view.getBigUint64(8))),
  };
}

/** The later of two log positions, in Raft's order (term first, then index). */
export function laterPosition(a: LogPosition, b: LogPosition): LogPosition {
  return a.term > b.term || (a.term === b.term && a.index >= b.index) ? a : b;
}
