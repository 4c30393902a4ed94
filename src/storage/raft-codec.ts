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
  uninitializedBytes,
} from "../lib/index.js";
import type { ConfState, Entry, EntryType, HardState } from "../raft/types.js";
import { crc32c } from "./crc32c.js";

const U64 = 8;
const CRC_BYTES = 4;

// Integers are written and read byte by byte: no DataView (an object per
// record) on the write path of every entry.

function putU32(out: Uint8Array, at: number, n: number): void {
  out[at] = n >>> 24;
  out[at + 1] = n >>> 16;
  out[at + 2] = n >>> 8;
  out[at + 3] = n;
}

function getU32(bytes: Uint8Array, at: number): number {
  return (
    bytes[at]! * 0x100_0000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!)
  );
}

function putU64(out: Uint8Array, at: number, n: number): void {
  putU32(out, at, Math.floor(n / 0x1_0000_0000));
  putU32(out, at + 4, n >>> 0);
}

function getU64(bytes: Uint8Array, at: number): number {
  const n = getU32(bytes, at) * 0x1_0000_0000 + getU32(bytes, at + 4);
  if (!Number.isSafeInteger(n)) corrupt("integer beyond 2^53");
  return n;
}

function corrupt(what: string): never {
  throw new TesseraError("CORRUPTION", `stored raft state is corrupt: ${what}`);
}

/**
 * Room for a record of `bodyBytes` and its CRC-32C: fill the body, then
 * `seal`. Pooled memory (`uninitializedBytes`): these are made for every
 * entry of every range, and go to LMDB as they are.
 */
function unsealedRecord(bodyBytes: number): Uint8Array {
  return uninitializedBytes(bodyBytes + CRC_BYTES);
}

/** Writes the CRC-32C of `out`'s body into its last 4 bytes. */
function seal(out: Uint8Array): Uint8Array {
  const body = out.byteLength - CRC_BYTES;
  putU32(out, body, crc32c(out, 0, body));
  return out;
}

/** The body of a sealed value, after checking its CRC-32C. */
function unsealed(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.byteLength < CRC_BYTES) corrupt(`${what} too short`);
  const body = bytes.byteLength - CRC_BYTES;
  if (getU32(bytes, body) !== crc32c(bytes, 0, body)) corrupt(`${what} checksum`);
  return bytes.subarray(0, body);
}

/**
 * A copy of `bytes` from `start` on, as a plain Uint8Array (the engine may
 * hand back Buffers, whose own `slice` shares their memory).
 */
function copyFrom(bytes: Uint8Array, start: number): Uint8Array {
  const from = bytes.byteOffset + start;
  return new Uint8Array(bytes.buffer.slice(from, bytes.byteOffset + bytes.byteLength));
}

export function logKey(range: RangeId | number, index: LogIndex | number): Uint8Array {
  const out = new Uint8Array(2 * U64);
  putU64(out, 0, range);
  putU64(out, U64, index);
  return out;
}

/** The index encoded in a log key. */
export function logKeyIndex(key: Uint8Array): LogIndex {
  if (key.byteLength !== 2 * U64) corrupt("log key length");
  return logIndex(getU64(key, U64));
}

export function rangeKey(range: RangeId | number): Uint8Array {
  const out = new Uint8Array(U64);
  putU64(out, 0, range);
  return out;
}

export function decodeRangeKey(key: Uint8Array): number {
  if (key.byteLength !== U64) corrupt("range key length");
  return getU64(key, 0);
}

const ENTRY_TYPES: readonly EntryType[] = ["normal", "conf-change"];

const ENTRY_HEADER = 1 + U64;

/** The stored size of entry `e` (`encodeEntry(e).byteLength`). */
export function encodedEntryBytes(e: Entry): number {
  return ENTRY_HEADER + e.data.byteLength + CRC_BYTES;
}

/** Writes entry `e` as stored (with its CRC) into `out` at `at`. */
function writeEntry(out: Uint8Array, at: number, e: Entry): void {
  out[at] = e.type === "normal" ? 0 : ENTRY_TYPES.indexOf(e.type);
  putU64(out, at + 1, e.term);
  out.set(e.data, at + ENTRY_HEADER);
  const body = at + ENTRY_HEADER + e.data.byteLength;
  putU32(out, body, crc32c(out.subarray(at, body)));
}

export function encodeEntry(e: Entry): Uint8Array {
  const out = unsealedRecord(ENTRY_HEADER + e.data.byteLength);
  writeEntry(out, 0, e);
  return out;
}

export function decodeEntry(index: LogIndex, stored: Uint8Array): Entry {
  const bytes = unsealed(stored, `entry ${index}`);
  if (bytes.byteLength < 1 + U64) corrupt("entry too short");
  const type = ENTRY_TYPES[bytes[0]!];
  if (type === undefined) corrupt(`entry type ${bytes[0]}`);
  // Copy the payload: the bytes lmdb hands back may be reused by the next read.
  const data = copyFrom(bytes, 1 + U64);
  return { index, term: term(getU64(bytes, 1)), type, data };
}

/** A log journal record: entry `index` of range `range`, its value as `encodeEntry` made it. */
export interface JournalRecord {
  readonly range: RangeId;
  readonly index: LogIndex;
  readonly entry: Uint8Array;
}

const JOURNAL_HEADER = 2 * U64;

/**
 * The journal record of entry `e` of `range` (`rangeId | index | the entry
 * as encodeEntry stores it`, sealed), made in one piece, with the stored
 * entry inside it as a view: `{ record, entry }`.
 */
export function journalRecordOf(
  range: RangeId,
  e: Entry,
): { readonly record: Uint8Array; readonly entry: Uint8Array } {
  const entryBytes = encodedEntryBytes(e);
  const out = unsealedRecord(JOURNAL_HEADER + entryBytes);
  putU64(out, 0, range);
  putU64(out, U64, e.index);
  writeEntry(out, JOURNAL_HEADER, e);
  seal(out);
  return { record: out, entry: out.subarray(JOURNAL_HEADER, JOURNAL_HEADER + entryBytes) };
}

export function decodeJournalRecord(stored: Uint8Array): JournalRecord {
  const bytes = unsealed(stored, "log journal record");
  if (bytes.byteLength < 2 * U64) corrupt("log journal record too short");
  return {
    range: getU64(bytes, 0) as RangeId,
    index: logIndex(getU64(bytes, U64)),
    // A copy: the bytes the engine hands back may be reused by its next read.
    entry: copyFrom(bytes, JOURNAL_HEADER),
  };
}

export function encodeHardState(hs: HardState): Uint8Array {
  const out = unsealedRecord(3 * U64);
  putU64(out, 0, hs.term);
  putU64(out, U64, hs.vote);
  putU64(out, 2 * U64, hs.commit);
  return seal(out);
}

export function decodeHardState(stored: Uint8Array): HardState {
  const bytes = unsealed(stored, "hard state");
  if (bytes.byteLength !== 3 * U64) corrupt("hard state length");
  return {
    term: term(getU64(bytes, 0)),
    vote: nodeId(getU64(bytes, U64)),
    commit: logIndex(getU64(bytes, 2 * U64)),
  };
}

/** The last entry removed from the front of the log (or 0/0): first index is `index + 1`. */
export interface TruncatedState {
  readonly index: LogIndex;
  readonly term: Term;
}

export function encodeTruncatedState(ts: TruncatedState): Uint8Array {
  const out = unsealedRecord(2 * U64);
  putU64(out, 0, ts.index);
  putU64(out, U64, ts.term);
  return seal(out);
}

export function decodeTruncatedState(stored: Uint8Array): TruncatedState {
  const bytes = unsealed(stored, "truncated state");
  if (bytes.byteLength !== 2 * U64) corrupt("truncated state length");
  return { index: logIndex(getU64(bytes, 0)), term: term(getU64(bytes, U64)) };
}

/** What the state machine of a range has applied: written with the data it covers. */
export interface AppliedState {
  readonly index: LogIndex;
  readonly term: Term;
  /** The configuration as of `index` (conf changes are applied like data). */
  readonly confState: ConfState;
}

/**
 * The encoded configuration of the last applied states written: a range's
 * configuration object stays the same from one apply to the next, and this is
 * written with every apply of every range.
 */
const confBytes = new WeakMap<ConfState, Uint8Array>();

export function encodeAppliedState(as: AppliedState): Uint8Array {
  let conf = confBytes.get(as.confState);
  if (conf === undefined) {
    conf = new TextEncoder().encode(JSON.stringify(as.confState));
    confBytes.set(as.confState, conf);
  }
  const out = unsealedRecord(2 * U64 + conf.byteLength);
  putU64(out, 0, as.index);
  putU64(out, U64, as.term);
  out.set(conf, 2 * U64);
  return seal(out);
}

export function decodeAppliedState(stored: Uint8Array): AppliedState {
  const bytes = unsealed(stored, "applied state");
  if (bytes.byteLength < 2 * U64) corrupt("applied state too short");
  let confState: ConfState;
  try {
    confState = JSON.parse(new TextDecoder().decode(bytes.subarray(2 * U64))) as ConfState;
  } catch {
    corrupt("applied state configuration");
  }
  if (!Array.isArray(confState.voters) || !Array.isArray(confState.learners)) {
    corrupt("applied state configuration");
  }
  return { index: logIndex(getU64(bytes, 0)), term: term(getU64(bytes, U64)), confState };
}
