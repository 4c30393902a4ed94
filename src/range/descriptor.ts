/**
 * Range descriptors (DESIGN.md §2): which internal keys a range owns.
 *
 * A range owns one contiguous span [start, end) of data keys plus its own
 * range-local keys (lib/keys.ts `rangeLocalBounds`). The authoritative
 * descriptor of a range is the one in its own replicated state (range-local
 * key `rangeDescriptorKey`), written by the Raft entries that create, split
 * or merge it, so a split is one Raft entry and needs no distributed
 * transaction. The meta range keeps a copy of every descriptor for routing
 * (meta-table.ts); a copy may lag, never lead, and a request routed with a
 * stale copy is refused by the range itself (RANGE_MISMATCH) and re-routed.
 *
 * `generation` grows with every split and merge of the range, so of two
 * overlapping descriptors the one with the higher generation is the newer.
 *
 * A new cluster starts with three ranges:
 *   range 1 (meta): the system keyspace         [0x01 FFFFFFFF, 0x02)
 *   range 2: every user hash keyspace           [0x01, 0x01 FFFFFFFF)
 *   range 3: every user range-mode keyspace     [0x02, 0x03)
 * Spans in the hash area split only at slot boundaries, so a range of a
 * hash keyspace is an interval of its 16384 slots (CLUSTER SLOTS).
 *
 * Encoding: u8 version (1) | u32 rangeId | u32 generation | u16 n | start (n) | u16 m | end (m)
 * [| u8 flags (1 = sticky)].
 */
import {
  compareBytes,
  HASH_KEY_PREFIX_BYTES,
  KEY_TAG_HASH,
  KEY_TAG_LOCAL,
  KEY_TAG_RANGE,
  type KeyBounds,
  keyspaceId,
  keyspaceOfBound,
  RANGE_KEY_PREFIX_BYTES,
  type RangeId,
  rangeLocalBounds,
  SLOT_COUNT,
  SYSTEM_KEYSPACE_ID,
  slotBoundaryKey,
  slotsOfSpan,
  TesseraError,
  rangeId as toRangeId,
} from "../lib/index.js";

export interface RangeDescriptor {
  readonly rangeId: RangeId;
  /** Internal key, inclusive. */
  readonly start: Uint8Array;
  /** Internal key, exclusive. */
  readonly end: Uint8Array;
  readonly generation: number;
  /**
   * The range's start is a split made by hand (TESSERA RANGE SPLIT): the
   * planner never merges it back into its left neighbour.
   */
  readonly sticky?: boolean;
}

const VERSION = 1;
const FLAG_STICKY = 0x01;

export const META_RANGE: RangeDescriptor = {
  rangeId: toRangeId(1),
  start: u8(KEY_TAG_HASH, ...u32(SYSTEM_KEYSPACE_ID)),
  end: u8(KEY_TAG_RANGE),
  generation: 1,
};
export const USER_HASH_RANGE: RangeDescriptor = {
  rangeId: toRangeId(2),
  start: u8(KEY_TAG_HASH),
  end: META_RANGE.start,
  generation: 1,
};
export const USER_ORDERED_RANGE: RangeDescriptor = {
  rangeId: toRangeId(3),
  start: u8(KEY_TAG_RANGE),
  end: u8(KEY_TAG_LOCAL),
  generation: 1,
};
/** The ranges a new cluster is bootstrapped with; together they cover every data key. */
export const INITIAL_RANGES: readonly RangeDescriptor[] = [
  META_RANGE,
  USER_HASH_RANGE,
  USER_ORDERED_RANGE,
];
/** Range ids below this are the initial ranges; new ranges are numbered from it. */
export const FIRST_ALLOCATED_RANGE_ID = 4;

export function encodeDescriptor(d: RangeDescriptor): Uint8Array {
  const out = new Uint8Array(13 + d.start.length + d.end.length + (d.sticky ? 1 : 0));
  if (d.sticky) out[out.length - 1] = FLAG_STICKY;
  const view = new DataView(out.buffer);
  out[0] = VERSION;
  view.setUint32(1, d.rangeId);
  view.setUint32(5, d.generation);
  view.setUint16(9, d.start.length);
  out.set(d.start, 11);
  view.setUint16(11 + d.start.length, d.end.length);
  out.set(d.end, 13 + d.start.length);
  return out;
}

export function decodeDescriptor(bytes: Uint8Array): RangeDescriptor {
  const bad = () => new TesseraError("CORRUPTION", "corrupt range descriptor");
  if (bytes.length < 13 || bytes[0] !== VERSION) throw bad();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint16(9);
  if (11 + n + 2 > bytes.length) throw bad();
  const m = view.getUint16(11 + n);
  const flagged = 14 + n + m === bytes.length;
  if (13 + n + m !== bytes.length && !flagged) throw bad();
  const d = {
    rangeId: toRangeId(view.getUint32(1)),
    generation: view.getUint32(5),
    start: bytes.slice(11, 11 + n),
    end: bytes.slice(13 + n, 13 + n + m),
    ...(flagged && ((bytes[13 + n + m] as number) & FLAG_STICKY) !== 0 ? { sticky: true } : {}),
  };
  if (compareBytes(d.start, d.end) >= 0) throw bad();
  return d;
}

/** Whether `key` (an internal data key) lies in the descriptor's span. */
export function containsKey(d: { start: Uint8Array; end: Uint8Array }, key: Uint8Array): boolean {
  return compareBytes(d.start, key) <= 0 && compareBytes(key, d.end) < 0;
}

/** Whether the data spans of two descriptors share a key. */
export function rangesOverlap(a: RangeDescriptor, b: RangeDescriptor): boolean {
  return compareBytes(a.start, b.end) < 0 && compareBytes(b.start, a.end) < 0;
}

/** The internal key intervals a replica of the range owns: its data span and its range-local keys. */
export function descriptorSpans(d: RangeDescriptor): KeyBounds[] {
  return [{ start: d.start, end: d.end }, rangeLocalBounds(d.rangeId)];
}

/**
 * Why `key` cannot split range `d`, or undefined when it can: it must lie
 * strictly inside the span, in the hash area at a slot boundary (7 bytes:
 * tag, keyspace, slot), in the ordered area after a keyspace prefix; the
 * meta range never splits.
 */
export function splitKeyProblem(d: RangeDescriptor, key: Uint8Array): string | undefined {
  if (d.rangeId === META_RANGE.rangeId) return "the meta range does not split";
  if (compareBytes(key, d.start) <= 0 || compareBytes(key, d.end) >= 0)
    return "the split key is not inside the range";
  if (key[0] === KEY_TAG_HASH) {
    if (key.length !== HASH_KEY_PREFIX_BYTES) return "a hash keyspace splits at a slot boundary";
    const slot = ((key[5] as number) << 8) | (key[6] as number);
    if (slot > SLOT_COUNT) return "slot out of range";
    return undefined;
  }
  if (key[0] === KEY_TAG_RANGE) {
    if (key.length < RANGE_KEY_PREFIX_BYTES) return "the split key is not a keyspace key";
    return undefined;
  }
  return "the split key is not a data key";
}

/**
 * Where the planner would split a range that grew too large or too busy: in
 * the hash area, the boundary of the next keyspace when the span holds more
 * than one, else the middle slot boundary (keys hash evenly over slots, so
 * that is close to the median key); undefined when the span is one slot, is
 * the meta range, or lies in the ordered area (split by hand for now).
 */
export function middleSplitKey(d: RangeDescriptor): Uint8Array | undefined {
  if (d.rangeId === META_RANGE.rangeId || d.start[0] !== KEY_TAG_HASH) return undefined;
  const ks = keyspaceOfBound(d.start) ?? keyspaceId(0);
  const ksEnd = slotBoundaryKey(ks, SLOT_COUNT);
  if (compareBytes(d.end, ksEnd) > 0 && ks + 1 < SYSTEM_KEYSPACE_ID) {
    const next = slotBoundaryKey(keyspaceId(ks + 1), 0);
    return splitKeyProblem(d, next) === undefined ? next : undefined;
  }
  const slots = slotsOfSpan(ks, d.start, d.end);
  if (slots === undefined || slots.slotEnd - slots.slotStart < 2) return undefined;
  const key = slotBoundaryKey(ks, Math.floor((slots.slotStart + slots.slotEnd) / 2));
  return splitKeyProblem(d, key) === undefined ? key : undefined;
}

function u8(...bytes: number[]): Uint8Array {
  return Uint8Array.from(bytes);
}

function u32(v: number): number[] {
  return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}
