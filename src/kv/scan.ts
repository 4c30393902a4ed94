/**
 * Commands that walk a keyspace: KEYS, SCAN and RANDOMKEY.
 *
 * SCAN walks data keys in internal-key order ((slot, key) in a hash keyspace,
 * key order in a range keyspace). Its cursor must fit in an unsigned 64-bit
 * integer, because clients parse it as one (redis-cli --scan does), so it
 * cannot name a key exactly: it names a resume *position*, the first
 * `CURSOR_POSITION_BYTES` bytes of the next key to visit (after the keyspace
 * prefix) and how many of them there are, and a call resumes at the first key
 * at or after that position. Keys sharing that prefix with the resume key may
 * come back twice (Redis allows duplicates); none present for the whole
 * iteration is skipped, whatever is inserted or deleted meanwhile. A call
 * stops after COUNT visited entries (expired, unmatched and filtered ones
 * included) only where the next cursor differs from the one it started at, so
 * an iteration always moves forward even through many keys sharing a prefix.
 * "0" starts and ends an iteration.
 *
 * MATCH and KEYS use Redis globs (lib/glob.ts), with "*" matching every key
 * as in Redis's `keysCommand`/`scanGenericCommand`.
 */

import type { KeyBounds, KeyspaceId, KeyspaceMode } from "../lib/index.js";
import {
  concatBytes,
  decodeRecord,
  globMatch,
  isExpired,
  isMatchAll,
  keySuccessor,
  keyspaceBounds,
  prefixEnd,
  RANGE_KEY_PREFIX_BYTES,
  SeededRng,
  SLOT_COUNT,
  slotBounds,
  userKeyOf,
  utf8,
} from "../lib/index.js";
import type { KvView } from "../storage/types.js";
import type { ReadCommand } from "./command.js";
import { readCounters } from "./counters.js";
import { INVALID_CURSOR } from "./errors.js";
import { RANDOMKEY_BATCH_KEYS, RANDOMKEY_WALK_KEYS_MAX, SCAN_VISIT_MAX } from "./limits.js";
import type { KvReply } from "./reply.js";
import { array, bulk, NIL } from "./reply.js";
import type { ReadSession } from "./state.js";

type Cmd<Op extends ReadCommand["op"]> = Extract<ReadCommand, { op: Op }>;

/** Bytes of a data key before its slot (tag + keyspace id): a range key's prefix. */
const KEYSPACE_PREFIX_BYTES = RANGE_KEY_PREFIX_BYTES;

/** How many bytes of the resume key a cursor keeps: 7 bytes + a 3-bit length < 2^59. */
const CURSOR_POSITION_BYTES = 7;
const CURSOR_VALUE_END = 1n << BigInt(8 * CURSOR_POSITION_BYTES + 3);

/**
 * The cursor that resumes at `position` (the key bytes after the keyspace
 * prefix), keeping at most CURSOR_POSITION_BYTES of them. Never "0".
 */
export function encodeScanCursor(position: Uint8Array): string {
  const kept = Math.min(position.length, CURSOR_POSITION_BYTES);
  let v = BigInt(kept);
  for (let i = 0; i < CURSOR_POSITION_BYTES; i++) {
    v = (v << 8n) | BigInt(i < kept ? (position[i] as number) : 0);
  }
  return (v + 1n).toString();
}

/**
 * The resume position `cursor` names ([] for "0"), or undefined if it is no
 * cursor this mode could have produced.
 */
export function decodeScanCursor(cursor: string, mode: KeyspaceMode): Uint8Array | undefined {
  if (!/^[0-9]{1,20}$/.test(cursor)) return undefined;
  const raw = BigInt(cursor);
  if (raw === 0n) return new Uint8Array(0);
  const v = raw - 1n;
  if (v >= CURSOR_VALUE_END) return undefined;
  const kept = Number(v >> BigInt(8 * CURSOR_POSITION_BYTES));
  const out = new Uint8Array(kept);
  for (let i = 0; i < CURSOR_POSITION_BYTES; i++) {
    const byte = Number((v >> BigInt(8 * (CURSOR_POSITION_BYTES - 1 - i))) & 0xffn);
    if (i < kept) out[i] = byte;
    else if (byte !== 0) return undefined;
  }
  if (kept === 0) return undefined;
  if (
    mode === "hash" &&
    (kept < 2 || (((out[0] as number) << 8) | (out[1] as number)) >= SLOT_COUNT)
  )
    return undefined;
  return out;
}

function matches(pattern: Uint8Array | undefined, key: Uint8Array): boolean {
  return pattern === undefined || isMatchAll(pattern) || globMatch(pattern, key);
}

export function executeKeys(s: ReadSession, v: KvView, cmd: Cmd<"keys">): KvReply {
  const mode = s.mode(cmd.ks);
  const { start, end } = keyspaceBounds(cmd.ks, mode);
  const out: KvReply[] = [];
  for (const { key, value } of v.scan(start, end, Number.MAX_SAFE_INTEGER)) {
    if (isExpired(decodeRecord(value), s.nowMs)) continue;
    const userKey = userKeyOf(key, mode);
    if (matches(cmd.pattern, userKey)) out.push(bulk(userKey.slice()));
  }
  return array(out);
}

export function executeScan(s: ReadSession, v: KvView, cmd: Cmd<"scan">): KvReply {
  const mode = s.mode(cmd.ks);
  const bounds = keyspaceBounds(cmd.ks, mode);
  const resume = decodeScanCursor(cmd.cursor, mode);
  if (resume === undefined) return INVALID_CURSOR;
  const incoming = resume.length === 0 ? "0" : encodeScanCursor(resume);
  const start = resume.length === 0 ? bounds.start : concatBytes(bounds.start, resume);
  const visitMax = Math.min(Math.max(1, Math.floor(cmd.count)), SCAN_VISIT_MAX);
  const type = cmd.type?.toLowerCase();
  const found: KvReply[] = [];
  let visited = 0;
  let next = "0";
  for (const { key, value } of v.scan(start, bounds.end, Number.MAX_SAFE_INTEGER)) {
    if (visited >= visitMax) {
      const cursor = encodeScanCursor(key.subarray(KEYSPACE_PREFIX_BYTES));
      // Stopping where the cursor would not move would replay this call forever.
      if (cursor !== incoming) {
        next = cursor;
        break;
      }
    }
    visited++;
    const r = decodeRecord(value);
    if (isExpired(r, s.nowMs)) continue;
    if (type !== undefined && r.type !== type) continue;
    const userKey = userKeyOf(key, mode);
    if (matches(cmd.match, userKey)) found.push(bulk(userKey.slice()));
  }
  return array([bulk(utf8(next)), array(found)]);
}

/**
 * RANDOMKEY: a live key chosen from `cmd.seed` alone, so every replica picks
 * the same one. The seed picks a starting point and the first live key at or
 * after it, wrapping around once, is the answer. In a small keyspace the
 * starting point is a uniformly chosen stored key; in a large one it is a
 * random slot (hash) or a random point between the first and last keys
 * (range), which, like Redis's bucket sampling, is not exactly uniform.
 */
export function executeRandomkey(s: ReadSession, v: KvView, cmd: Cmd<"randomkey">): KvReply {
  const mode = s.mode(cmd.ks);
  const bounds = keyspaceBounds(cmd.ks, mode);
  const stored = readCounters(v, cmd.ks).keys;
  if (stored === 0) return NIL;
  const rng = new SeededRng(cmd.seed);
  let pivot: Uint8Array;
  if (stored <= RANDOMKEY_WALK_KEYS_MAX) {
    pivot = nthKey(v, bounds, bounds.start, rng.intn(stored));
  } else {
    // A random skip after the pivot spreads the choice over the keys that
    // follow a gap, which a pivot alone would favour.
    pivot = nthKey(v, bounds, farPivot(v, cmd.ks, mode, rng), rng.intn(RANDOMKEY_BATCH_KEYS));
  }
  const found = firstLive(s, v, pivot, bounds.end) ?? firstLive(s, v, bounds.start, pivot);
  return found === undefined ? NIL : bulk(userKeyOf(found, mode).slice());
}

/** The n-th key at or after `from` (or the last one there is, or `from` if none). */
function nthKey(v: KvView, bounds: KeyBounds, from: Uint8Array, n: number): Uint8Array {
  let i = 0;
  let last = from;
  for (const { key } of v.scan(from, bounds.end, n + 1)) {
    if (i++ === n) return key;
    last = key;
  }
  return last;
}

function farPivot(v: KvView, ks: KeyspaceId, mode: KeyspaceMode, rng: SeededRng): Uint8Array {
  if (mode === "hash") return slotBounds(ks, rng.intn(SLOT_COUNT), SLOT_COUNT).start;
  // A point between the first and the last key: past their common prefix,
  // RANGE_PIVOT_BYTES bytes of each read as a number.
  const bounds = keyspaceBounds(ks, mode);
  const firstKey = firstOf(v.scan(bounds.start, bounds.end, 1))?.key ?? bounds.start;
  const first = firstKey.subarray(KEYSPACE_PREFIX_BYTES);
  const last: number[] = [];
  let diverged = -1;
  while (last.length < RANGE_PIVOT_PROBE_BYTES_MAX) {
    const b = maxNextByte(v, bounds, last);
    if (b === undefined) break;
    if (diverged < 0 && first[last.length] !== b) diverged = last.length;
    last.push(b);
    if (diverged >= 0 && last.length >= diverged + RANGE_PIVOT_BYTES) break;
  }
  const at = diverged < 0 ? Math.min(first.length, last.length) : diverged;
  const lo = prefixNumber(first, at);
  const hi = prefixNumber(last, at);
  const point = lo + Math.floor(rng.float() * (Math.max(lo, hi) - lo + 1));
  const out = new Uint8Array(RANGE_PIVOT_BYTES);
  for (let i = RANGE_PIVOT_BYTES - 1, x = point; i >= 0; i--, x = Math.floor(x / 256)) {
    out[i] = x % 256;
  }
  return concatBytes(bounds.start, first.subarray(0, at), out);
}

const RANGE_PIVOT_BYTES = 6;
const RANGE_PIVOT_PROBE_BYTES_MAX = 64;

function prefixNumber(key: ArrayLike<number>, at: number): number {
  let x = 0;
  for (let i = 0; i < RANGE_PIVOT_BYTES; i++) x = x * 256 + (key[at + i] ?? 0);
  return x;
}

/**
 * The largest byte b such that some key starts with `prefix` + b, or
 * undefined if no key extends `prefix`: a binary search of single seeks.
 */
function maxNextByte(v: KvView, bounds: KeyBounds, prefix: readonly number[]): number | undefined {
  const base = concatBytes(bounds.start, Uint8Array.from(prefix));
  const end = prefixEnd(base) ?? bounds.end;
  const exists = (b: number): boolean =>
    firstOf(v.scan(concatBytes(base, Uint8Array.of(b)), end, 1)) !== undefined;
  if (!exists(0)) return undefined;
  let lo = 0;
  let hi = 255;
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (exists(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function firstOf<T>(it: Iterable<T>): T | undefined {
  for (const x of it) return x;
  return undefined;
}

function firstLive(
  s: ReadSession,
  v: KvView,
  start: Uint8Array,
  end: Uint8Array,
): Uint8Array | undefined {
  let from = start;
  for (;;) {
    let seen = 0;
    let last: Uint8Array | undefined;
    for (const { key, value } of v.scan(from, end, RANDOMKEY_BATCH_KEYS)) {
      seen++;
      last = key;
      if (!isExpired(decodeRecord(value), s.nowMs)) return key;
    }
    if (seen < RANDOMKEY_BATCH_KEYS || last === undefined) return undefined;
    from = keySuccessor(last);
  }
}
