/**
 * The byte layout of Raft state in the store: log keys, log entries, hard
 * state, truncated state and applied state.
 *
 * - A log key is `rangeId (u64 BE) | index (u64 BE)`, so one range's entries
 *   are contiguous and ordered by index, and a range's whole log is the key
 *   interval [key(r, 0), key(r + 1, 0)).
 * - A range state key is `rangeId (u64 BE)`.
 * - An entry value is `type (u8) | term (u64 BE) | data`; its index is its key.
 * - A log journal record (log-journal.ts) is keyed by its sequence number
 *   (u64 BE) and holds `rangeId (u64 BE) | index (u64 BE) | entry value`.
 * - Hard state is `term | vote | commit` (3 × u64 BE); truncated state is
 *   `index | term`; applied state is `index | term | confState (JSON)`.
 *
 * Every value (entry, hard, truncated and applied state) ends with a CRC-32C
 * (u32 BE) of the bytes before it, checked on every read: a torn or corrupted
 * record is CORRUPTION, never misread.
 *
 * Integers are JavaScript safe integers, written as two big-endian u32 halves.
 * Decoding checks lengths and tags and reports bad bytes as CORRUPTION.
 */
import {
  type LogIndex,
  logIndex,
  nodeId,
  type RangeId,
  type Term,
  TesseraError,
  term,
} from "../lib/index.js";
import type { ConfState, Entry, EntryType, HardState } from "../raft/types.js";
import { crc32c } from "./crc32c.js";

const U64 = 8;

function putU64(view: DataView, at: number, n: number): void {
  view.setUint32(at, Math.floor(n / 0x1_0000_0000));
  view.setUint32(at + 4, n >>> 0);
}

function getU64(view: DataView, at: number): number {
  const n = view.getUint32(at) * 0x1_0000_0000 + view.getUint32(at + 4);
  if (!Number.isSafeInteger(n)) corrupt("integer beyond 2^53");
  return n;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function corrupt(what: string): never {
  throw new TesseraError("CORRUPTION", `stored raft state is corrupt: ${what}`);
}

const CRC_BYTES = 4;

/** `body` followed by its CRC-32C. */
function sealed(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.byteLength + CRC_BYTES);
  out.set(body);
  viewOf(out).setUint32(body.byteLength, crc32c(body));
  return out;
}

/** The body of a sealed value, after checking its CRC-32C. */
function unsealed(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.byteLength < CRC_BYTES) corrupt(`${what} too short`);
  const body = bytes.subarray(0, bytes.byteLength - CRC_BYTES);
  if (viewOf(bytes).getUint32(body.byteLength) !== crc32c(body)) corrupt(`${what} checksum`);
  return body;
}

export function logKey(range: RangeId | number, index: LogIndex | number): Uint8Array {
  const out = new Uint8Array(2 * U64);
  const view = viewOf(out);
  putU64(view, 0, range);
  putU64(view, U64, index);
  return out;
}

/** The index encoded in a log key. */
export function logKeyIndex(key: Uint8Array): LogIndex {
  if (key.byteLength !== 2 * U64) corrupt("log key length");
  return logIndex(getU64(viewOf(key), U64));
}

export function rangeKey(range: RangeId | number): Uint8Array {
  const out = new Uint8Array(U64);
  putU64(viewOf(out), 0, range);
  return out;
}

export function decodeRangeKey(key: Uint8Array): number {
  if (key.byteLength !== U64) corrupt("range key length");
  return getU64(viewOf(key), 0);
}

const ENTRY_TYPES: readonly EntryType[] = ["normal", "conf-change"];

export function encodeEntry(e: Entry): Uint8Array {
  const out = new Uint8Array(1 + U64 + e.data.byteLength);
  const view = viewOf(out);
  out[0] = ENTRY_TYPES.indexOf(e.type);
  putU64(view, 1, e.term);
  out.set(e.data, 1 + U64);
  return sealed(out);
}

export function decodeEntry(index: LogIndex, stored: Uint8Array): Entry {
  const bytes = unsealed(stored, `entry ${index}`);
  if (bytes.byteLength < 1 + U64) corrupt("entry too short");
  const type = ENTRY_TYPES[bytes[0]!];
  if (type === undefined) corrupt(`entry type ${bytes[0]}`);
  // Copy the payload: the bytes lmdb hands back may be reused by the next read.
  const data = bytes.slice(1 + U64);
  return { index, term: term(getU64(viewOf(bytes), 1)), type, data };
}

/** A log journal record: entry `index` of range `range`, its value as `encodeEntry` made it. */
export interface JournalRecord {
  readonly range: RangeId;
  readonly index: LogIndex;
  readonly entry: Uint8Array;
}

export function encodeJournalRecord(
  range: RangeId,
  index: LogIndex,
  entry: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(2 * U64 + entry.byteLength);
  const view = viewOf(out);
  putU64(view, 0, range);
  putU64(view, U64, index);
  out.set(entry, 2 * U64);
  return sealed(out);
}

export function decodeJournalRecord(stored: Uint8Array): JournalRecord {
  const bytes = unsealed(stored, "log journal record");
  if (bytes.byteLength < 2 * U64) corrupt("log journal record too short");
  const view = viewOf(bytes);
  return {
    range: getU64(view, 0) as RangeId,
    index: logIndex(getU64(view, U64)),
    // A copy: the bytes the engine hands back may be reused by its next read.
    entry: bytes.slice(2 * U64),
  };
}

export function encodeHardState(hs: HardState): Uint8Array {
  const out = new Uint8Array(3 * U64);
  const view = viewOf(out);
  putU64(view, 0, hs.term);
  putU64(view, U64, hs.vote);
  putU64(view, 2 * U64, hs.commit);
  return sealed(out);
}

export function decodeHardState(stored: Uint8Array): HardState {
  const bytes = unsealed(stored, "hard state");
  if (bytes.byteLength !== 3 * U64) corrupt("hard state length");
  const view = viewOf(bytes);
  return {
    term: term(getU64(view, 0)),
    vote: nodeId(getU64(view, U64)),
    commit: logIndex(getU64(view, 2 * U64)),
  };
}

/** The last entry removed from the front of the log (or 0/0): first index is `index + 1`. */
export interface TruncatedState {
  readonly index: LogIndex;
  readonly term: Term;
}

export function encodeTruncatedState(ts: TruncatedState): Uint8Array {
  const out = new Uint8Array(2 * U64);
  const view = viewOf(out);
  putU64(view, 0, ts.index);
  putU64(view, U64, ts.term);
  return sealed(out);
}

export function decodeTruncatedState(stored: Uint8Array): TruncatedState {
  const bytes = unsealed(stored, "truncated state");
  if (bytes.byteLength !== 2 * U64) corrupt("truncated state length");
  const view = viewOf(bytes);
  return { index: logIndex(getU64(view, 0)), term: term(getU64(view, U64)) };
}

/** What the state machine of a range has applied: written with the data it covers. */
export interface AppliedState {
  readonly index: LogIndex;
  readonly term: Term;
  /** The configuration as of `index` (conf changes are applied like data). */
  readonly confState: ConfState;
}

export function encodeAppliedState(as: AppliedState): Uint8Array {
  const conf = new TextEncoder().encode(JSON.stringify(as.confState));
  const out = new Uint8Array(2 * U64 + conf.byteLength);
  const view = viewOf(out);
  putU64(view, 0, as.index);
  putU64(view, U64, as.term);
  out.set(conf, 2 * U64);
  return sealed(out);
}

export function decodeAppliedState(stored: Uint8Array): AppliedState {
  const bytes = unsealed(stored, "applied state");
  if (bytes.byteLength < 2 * U64) corrupt("applied state too short");
  const view = viewOf(bytes);
  let confState: ConfState;
  try {
    confState = JSON.parse(new TextDecoder().decode(bytes.subarray(2 * U64))) as ConfState;
  } catch {
    corrupt("applied state configuration");
  }
  if (!Array.isArray(confState.voters) || !Array.isArray(confState.learners)) {
    corrupt("applied state configuration");
  }
  return { index: logIndex(getU64(view, 0)), term: term(getU64(view, U64)), confState };
}
