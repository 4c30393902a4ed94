/**
 * Internal keys (DESIGN.md §2): the one encoding of where a user key lives in
 * the ordered key space of a store. An internal key is an ordered byte string
 *
 *   data, hash keyspace:   0x01 | keyspaceId (u32 BE) | slot (u16 BE) | userKey
 *   data, range keyspace:  0x02 | keyspaceId (u32 BE) | userKey
 *   kv metadata:           0x00 | kind | …                (never a user key)
 *   range-local:           0x03 | rangeId (u32 BE) | …    (one range's own state)
 *
 * Invariants:
 * - Byte order of internal keys is (keyspace, slot, userKey) order in a hash
 *   keyspace and (keyspace, userKey) order in a range keyspace. The user key is
 *   the last component, so it needs no escaping and no terminator.
 * - A keyspace's data, a slot interval of a hash keyspace and a key interval of
 *   a range keyspace are each one contiguous span [start, end), which is what
 *   ranges, scans, FLUSHDB and snapshots use.
 * - The first byte tells data from metadata and, for data, the partitioning
 *   mode, so every internal key decodes without outside knowledge.
 * - Metadata keys (tag 0x00) can never equal or interleave with data keys.
 *
 * Metadata kinds kept by the kv state machine (replicated with the data):
 *   0x00 0x01 | keyspaceId                          per-keyspace counters
 *   0x00 0x02 | keyspaceId | expiresAtMs (u64 BE) | data key   expiry index
 */
import { assert } from "./assert.js";
import { compareBytes, concatBytes, prefixEnd } from "./bytes.js";
import { keyHashSlot, SLOT_COUNT } from "./crc16.js";
import { TesseraError } from "./errors.js";
import { type KeyspaceId, keyspaceId } from "./ids.js";

/** How a keyspace partitions its keys (DESIGN.md §2), fixed at creation. */
export type KeyspaceMode = "hash" | "range";

export const KEY_TAG_META = 0x00;
export const KEY_TAG_HASH = 0x01;
export const KEY_TAG_RANGE = 0x02;
/**
 * Range-local keys: the state a range keeps about itself, replicated with its
 * data (its descriptor, and the kv metadata of its keys: counters and expiry
 * index, which the range layer stores under `0x03 | rangeId | 0x00 | …` so each
 * range's metadata moves with it). Never a user key; sorts after all data.
 */
export const KEY_TAG_LOCAL = 0x03;
export const META_KIND_COUNTERS = 0x01;
export const META_KIND_EXPIRY = 0x02;

/** The largest keyspace id an internal key can hold (u32). */
export const KEYSPACE_ID_MAX = 0xffff_ffff;
/** Bytes before the user key in a data key of each mode. */
export const HASH_KEY_PREFIX_BYTES = 7;
export const RANGE_KEY_PREFIX_BYTES = 5;
/** Bytes before the data key in an expiry index key. */
const EXPIRY_PREFIX_BYTES = 14;
/**
 * The most bytes any internal key adds to a user key (an expiry index entry
 * of a hash key): a store whose keys are at most N bytes holds user keys of
 * N - INTERNAL_KEY_OVERHEAD_BYTES_MAX bytes.
 */
export const INTERNAL_KEY_OVERHEAD_BYTES_MAX = EXPIRY_PREFIX_BYTES + HASH_KEY_PREFIX_BYTES;

export interface KeyBounds {
  /** Inclusive. */
  readonly start: Uint8Array;
  /** Exclusive. */
  readonly end: Uint8Array;
}

export interface DecodedDataKey {
  readonly ks: KeyspaceId;
  readonly mode: KeyspaceMode;
  /** The slot in a hash keyspace; undefined in a range keyspace. */
  readonly slot: number | undefined;
  /** A view into the internal key (not a copy). */
  readonly userKey: Uint8Array;
}

function tagOf(mode: KeyspaceMode): number {
  return mode === "hash" ? KEY_TAG_HASH : KEY_TAG_RANGE;
}

function prefixBytesOf(mode: KeyspaceMode): number {
  return mode === "hash" ? HASH_KEY_PREFIX_BYTES : RANGE_KEY_PREFIX_BYTES;
}

function checkKeyspace(ks: number): void {
  assert(
    Number.isInteger(ks) && ks >= 0 && ks <= KEYSPACE_ID_MAX,
    `keyspace id out of range: ${ks}`,
  );
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

function readU32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] as number) << 24) >>> 0) +
    ((bytes[at + 1] as number) << 16) +
    ((bytes[at + 2] as number) << 8) +
    (bytes[at + 3] as number)
  );
}

/** The internal key of `userKey` at an explicit slot of hash keyspace `ks`. */
export function encodeHashKey(ks: KeyspaceId, slot: number, userKey: Uint8Array): Uint8Array {
  checkKeyspace(ks);
  assert(Number.isInteger(slot) && slot >= 0 && slot < SLOT_COUNT, `slot out of range: ${slot}`);
  const out = new Uint8Array(HASH_KEY_PREFIX_BYTES + userKey.length);
  out[0] = KEY_TAG_HASH;
  writeU32(out, 1, ks);
  out[5] = slot >>> 8;
  out[6] = slot & 0xff;
  out.set(userKey, HASH_KEY_PREFIX_BYTES);
  return out;
}

/** The internal key of `userKey` in keyspace `ks` of the given mode. */
export function encodeDataKey(ks: KeyspaceId, mode: KeyspaceMode, userKey: Uint8Array): Uint8Array {
  if (mode === "hash") return encodeHashKey(ks, keyHashSlot(userKey), userKey);
  checkKeyspace(ks);
  const out = new Uint8Array(RANGE_KEY_PREFIX_BYTES + userKey.length);
  out[0] = KEY_TAG_RANGE;
  writeU32(out, 1, ks);
  out.set(userKey, RANGE_KEY_PREFIX_BYTES);
  return out;
}

/** Whether `key` is a data key (of either mode) rather than metadata. */
export function isDataKey(key: Uint8Array): boolean {
  const tag = key[0];
  if (tag === KEY_TAG_HASH) return key.length >= HASH_KEY_PREFIX_BYTES;
  if (tag === KEY_TAG_RANGE) return key.length >= RANGE_KEY_PREFIX_BYTES;
  return false;
}

/** Decodes a data key; a malformed one is stored corruption. */
export function decodeDataKey(key: Uint8Array): DecodedDataKey {
  if (!isDataKey(key)) throw new TesseraError("CORRUPTION", "not a data key");
  const ks = keyspaceId(readU32(key, 1));
  if (key[0] === KEY_TAG_RANGE) {
    return { ks, mode: "range", slot: undefined, userKey: key.subarray(RANGE_KEY_PREFIX_BYTES) };
  }
  const slot = ((key[5] as number) << 8) | (key[6] as number);
  if (slot >= SLOT_COUNT)
    throw new TesseraError("CORRUPTION", `slot out of range in data key: ${slot}`);
  return { ks, mode: "hash", slot, userKey: key.subarray(HASH_KEY_PREFIX_BYTES) };
}

/** The user key part of a data key of known mode (a view, not a copy). */
export function userKeyOf(dataKey: Uint8Array, mode: KeyspaceMode): Uint8Array {
  return dataKey.subarray(prefixBytesOf(mode));
}

function keyspacePrefix(ks: KeyspaceId, mode: KeyspaceMode): Uint8Array {
  checkKeyspace(ks);
  const out = new Uint8Array(5);
  out[0] = tagOf(mode);
  writeU32(out, 1, ks);
  return out;
}

/** Every data key of keyspace `ks`. */
export function keyspaceBounds(ks: KeyspaceId, mode: KeyspaceMode): KeyBounds {
  const start = keyspacePrefix(ks, mode);
  return { start, end: prefixEnd(start) as Uint8Array };
}

/** Every data key of hash keyspace `ks` whose slot is in [slotStart, slotEnd). */
export function slotBounds(ks: KeyspaceId, slotStart: number, slotEnd: number): KeyBounds {
  assert(
    Number.isInteger(slotStart) &&
      Number.isInteger(slotEnd) &&
      0 <= slotStart &&
      slotStart <= slotEnd &&
      slotEnd <= SLOT_COUNT,
    `bad slot interval [${slotStart}, ${slotEnd})`,
  );
  const prefix = keyspacePrefix(ks, "hash");
  const at = (slot: number): Uint8Array =>
    concatBytes(prefix, Uint8Array.of(slot >>> 8, slot & 0xff));
  // SLOT_COUNT is 0x4000, which fits the u16 and sorts after every slot.
  return { start: at(slotStart), end: at(slotEnd) };
}

/**
 * Every data key of range keyspace `ks` with startKey <= userKey < endKey;
 * `endKey` undefined means the end of the keyspace.
 */
export function keyIntervalBounds(
  ks: KeyspaceId,
  startKey: Uint8Array,
  endKey: Uint8Array | undefined,
): KeyBounds {
  const whole = keyspaceBounds(ks, "range");
  return {
    start: encodeDataKey(ks, "range", startKey),
    end: endKey === undefined ? whole.end : encodeDataKey(ks, "range", endKey),
  };
}

/** Every data key of every keyspace of both modes. */
export function allDataBounds(): KeyBounds {
  return { start: Uint8Array.of(KEY_TAG_HASH), end: Uint8Array.of(KEY_TAG_RANGE + 1) };
}

// ---- kv metadata -----------------------------------------------------------

/** The key of keyspace `ks`'s counters (key count, keys with a TTL). */
export function counterKey(ks: KeyspaceId): Uint8Array {
  checkKeyspace(ks);
  const out = new Uint8Array(6);
  out[0] = KEY_TAG_META;
  out[1] = META_KIND_COUNTERS;
  writeU32(out, 2, ks);
  return out;
}

/** The span of every counter key. */
export function counterBounds(): KeyBounds {
  return {
    start: Uint8Array.of(KEY_TAG_META, META_KIND_COUNTERS),
    end: Uint8Array.of(KEY_TAG_META, META_KIND_COUNTERS + 1),
  };
}

/** The keyspace a counter key belongs to. */
export function decodeCounterKey(key: Uint8Array): KeyspaceId {
  if (key.length !== 6 || key[0] !== KEY_TAG_META || key[1] !== META_KIND_COUNTERS) {
    throw new TesseraError("CORRUPTION", "not a counter key");
  }
  return keyspaceId(readU32(key, 2));
}

function expiryPrefix(ks: KeyspaceId): Uint8Array {
  checkKeyspace(ks);
  const out = new Uint8Array(6);
  out[0] = KEY_TAG_META;
  out[1] = META_KIND_EXPIRY;
  writeU32(out, 2, ks);
  return out;
}

function writeU64(out: Uint8Array, at: number, v: number): void {
  assert(Number.isSafeInteger(v) && v >= 0, `u64 out of range: ${v}`);
  writeU32(out, at, Math.floor(v / 0x1_0000_0000));
  writeU32(out, at + 4, v % 0x1_0000_0000);
}

/** The expiry index entry of `dataKey`, which expires at `expiresAtMs` (> 0). */
export function expiryIndexKey(
  ks: KeyspaceId,
  expiresAtMs: number,
  dataKey: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(EXPIRY_PREFIX_BYTES + dataKey.length);
  out.set(expiryPrefix(ks));
  writeU64(out, 6, expiresAtMs);
  out.set(dataKey, EXPIRY_PREFIX_BYTES);
  return out;
}

export interface DecodedExpiryIndexKey {
  readonly ks: KeyspaceId;
  readonly expiresAtMs: number;
  /** A view into the index key (not a copy). */
  readonly dataKey: Uint8Array;
}

export function decodeExpiryIndexKey(key: Uint8Array): DecodedExpiryIndexKey {
  if (key.length < EXPIRY_PREFIX_BYTES || key[0] !== KEY_TAG_META || key[1] !== META_KIND_EXPIRY) {
    throw new TesseraError("CORRUPTION", "not an expiry index key");
  }
  const hi = readU32(key, 6);
  const lo = readU32(key, 10);
  const expiresAtMs = hi * 0x1_0000_0000 + lo;
  if (!Number.isSafeInteger(expiresAtMs))
    throw new TesseraError("CORRUPTION", "expiry time out of range");
  return {
    ks: keyspaceId(readU32(key, 2)),
    expiresAtMs,
    dataKey: key.subarray(EXPIRY_PREFIX_BYTES),
  };
}

/**
 * Index entries of keyspace `ks` that expire in [fromMs, toMs); `ks`
 * undefined means every keyspace (then the times are not a bound: the caller
 * walks keyspace by keyspace).
 */
export function expiryIndexBounds(
  ks: KeyspaceId | undefined,
  fromMs = 0,
  toMs?: number,
): KeyBounds {
  if (ks === undefined) {
    return {
      start: Uint8Array.of(KEY_TAG_META, META_KIND_EXPIRY),
      end: Uint8Array.of(KEY_TAG_META, META_KIND_EXPIRY + 1),
    };
  }
  const prefix = expiryPrefix(ks);
  const at = (ms: number): Uint8Array => {
    const out = new Uint8Array(EXPIRY_PREFIX_BYTES);
    out.set(prefix);
    writeU64(out, 6, ms);
    return out;
  };
  return {
    start: at(fromMs),
    end:
      toMs === undefined || toMs > Number.MAX_SAFE_INTEGER
        ? (prefixEnd(prefix) as Uint8Array)
        : at(toMs),
  };
}

// ---- ranges over hash keyspaces ----------------------------------------------

/** The first internal key of `slot` in hash keyspace `ks`; slot SLOT_COUNT is the keyspace's end. */
export function slotBoundaryKey(ks: KeyspaceId, slot: number): Uint8Array {
  assert(Number.isInteger(slot) && slot >= 0 && slot <= SLOT_COUNT, `bad slot boundary ${slot}`);
  return slotBounds(ks, slot, slot).start;
}

/**
 * The slots of hash keyspace `ks` whose keys lie in the internal key span
 * [start, end), as [slotStart, slotEnd) — or undefined when it holds none.
 * Spans of hash keyspaces begin and end at slot boundaries (ranges split only
 * there), so a slot is either wholly inside or wholly outside.
 */
export function slotsOfSpan(
  ks: KeyspaceId,
  start: Uint8Array,
  end: Uint8Array,
): { readonly slotStart: number; readonly slotEnd: number } | undefined {
  const slotAt = (key: Uint8Array, roundUp: boolean): number => {
    let lo = 0;
    let hi = SLOT_COUNT;
    // The first slot boundary >= key (roundUp) or > key (!roundUp), by bisection.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareBytes(slotBoundaryKey(ks, mid), key);
      if (c < 0 || (!roundUp && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const slotStart = slotAt(start, true);
  const slotEnd =
    compareBytes(end, slotBoundaryKey(ks, SLOT_COUNT)) >= 0 ? SLOT_COUNT : slotAt(end, true);
  return slotStart < slotEnd ? { slotStart, slotEnd } : undefined;
}

// ---- range-local keys ---------------------------------------------------------

const RANGE_LOCAL_PREFIX_BYTES = 5;
/** Range-local suffix of the range's descriptor. */
const LOCAL_KIND_DESCRIPTOR = 0x01;
/** Range-local suffix of a merged range's tombstone. */
const LOCAL_KIND_TOMBSTONE = 0xff;
/** Range-local suffix of the merge lock of a left-hand range. */
const LOCAL_KIND_MERGE_LOCK = 0x03;
/** Range-local suffix of the frozen-for-merge marker. */
const LOCAL_KIND_FROZEN = 0x02;
/** Range-local suffix under which the kv metadata (tag 0x00 keys) of the range is kept. */
const LOCAL_KIND_KV_META = 0x00;

/** The first bytes of every range-local key of range `rangeId`. */
export function rangeLocalPrefix(rangeId: number): Uint8Array {
  assert(
    Number.isInteger(rangeId) && rangeId > 0 && rangeId <= KEYSPACE_ID_MAX,
    `bad range id ${rangeId}`,
  );
  const out = new Uint8Array(RANGE_LOCAL_PREFIX_BYTES);
  out[0] = KEY_TAG_LOCAL;
  writeU32(out, 1, rangeId);
  return out;
}

/** Every range-local key of range `rangeId`. */
export function rangeLocalBounds(rangeId: number): KeyBounds {
  const start = rangeLocalPrefix(rangeId);
  return { start, end: prefixEnd(start) as Uint8Array };
}

/** Where range `rangeId` keeps its descriptor. */
export function rangeDescriptorKey(rangeId: number): Uint8Array {
  return concatBytes(rangeLocalPrefix(rangeId), Uint8Array.of(LOCAL_KIND_DESCRIPTOR));
}

/**
 * The tombstone of a range merged away, kept by the range that absorbed it:
 * a merged range never comes back, so no message may recreate it here.
 */
export function rangeTombstoneKey(rangeId: number): Uint8Array {
  return concatBytes(rangeLocalPrefix(rangeId), Uint8Array.of(LOCAL_KIND_TOMBSTONE));
}

/** Where range `rangeId` records that it is absorbing its right neighbour (merge lock). */
export function rangeMergeLockKey(rangeId: number): Uint8Array {
  return concatBytes(rangeLocalPrefix(rangeId), Uint8Array.of(LOCAL_KIND_MERGE_LOCK));
}

/** Where range `rangeId` records that it is frozen for a merge (and into which range). */
export function rangeFrozenKey(rangeId: number): Uint8Array {
  return concatBytes(rangeLocalPrefix(rangeId), Uint8Array.of(LOCAL_KIND_FROZEN));
}

/** A range's own records in its local keys: its descriptor, frozen mark and merge lock. */
export function rangeRecordKeys(rangeId: number): Uint8Array[] {
  return [rangeDescriptorKey(rangeId), rangeFrozenKey(rangeId), rangeMergeLockKey(rangeId)];
}

/** Every kv metadata key of range `rangeId` (counters, expiry index), in its local keys. */
export function rangeMetaBounds(rangeId: number): KeyBounds {
  const start = concatBytes(rangeLocalPrefix(rangeId), Uint8Array.of(LOCAL_KIND_KV_META));
  return { start, end: prefixEnd(start) as Uint8Array };
}

/** The range-local key that holds kv metadata key `metaKey` (tag 0x00) of range `rangeId`. */
export function rangeMetaKey(rangeId: number, metaKey: Uint8Array): Uint8Array {
  assert(metaKey.length === 0 || metaKey[0] === KEY_TAG_META, "not a kv metadata key");
  const out = new Uint8Array(RANGE_LOCAL_PREFIX_BYTES + metaKey.length);
  out.set(rangeLocalPrefix(rangeId));
  out.set(metaKey, RANGE_LOCAL_PREFIX_BYTES);
  return out;
}

/** The kv metadata key a range-local key of `rangeMetaKey` stands for (a view). */
export function metaKeyOfRangeKey(key: Uint8Array): Uint8Array {
  assert(
    key.length > RANGE_LOCAL_PREFIX_BYTES && key[RANGE_LOCAL_PREFIX_BYTES] === LOCAL_KIND_KV_META,
    "not a range-local kv metadata key",
  );
  return key.subarray(RANGE_LOCAL_PREFIX_BYTES);
}

/** The range id of a range-local key. */
export function rangeOfLocalKey(key: Uint8Array): number {
  if (key.length < RANGE_LOCAL_PREFIX_BYTES || key[0] !== KEY_TAG_LOCAL)
    throw new TesseraError("CORRUPTION", "not a range-local key");
  return readU32(key, 1);
}

/** The keyspace a data-area internal key belongs to, or undefined for a bound before any (e.g. `0x01`). */
export function keyspaceOfBound(key: Uint8Array): KeyspaceId | undefined {
  if ((key[0] !== KEY_TAG_HASH && key[0] !== KEY_TAG_RANGE) || key.length < 5) return undefined;
  return keyspaceId(readU32(key, 1));
}
