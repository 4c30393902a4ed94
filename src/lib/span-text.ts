/**
 * A range's span of internal keys (keys.ts) as an operator reads it, for
 * `tessera status`, TESSERA STATUS and INFO:
 *
 *   hash area      keyspace 0 as its slot interval ("slots 0-5460"), another
 *                  keyspace as "db3" (whole) or "db3 slots 0-99", the system
 *                  keyspace as "system"; a span over several keyspaces lists
 *                  its pieces joined by " + " ("slots 0-16383 + db1-db4294967294")
 *   ordered area   "ordered db3" (whole), "ordered db3 keys "a" to "m"" (end
 *                  exclusive, -inf/+inf at the keyspace's edges), or
 *                  "ordered db0-db4294967295" for whole keyspaces
 *   anything else  the bounds in hex ("0x03000000-0x04")
 *
 * Slot intervals are inclusive, as CLUSTER SLOTS shows them. The text never
 * holds a comma or an equals sign (INFO packs fields as `k=v,k=v`): user key
 * bytes outside printable ASCII, and `"`, `\`, `,`, `=`, are written `\xNN`,
 * and a key longer than `SPAN_KEY_BYTES_SHOWN_MAX` is cut with "...".
 */
import { compareBytes } from "./bytes.js";
import { SLOT_COUNT } from "./crc16.js";
import { SYSTEM_KEYSPACE_ID } from "./ids.js";
import { KEY_TAG_HASH, KEY_TAG_RANGE } from "./keys.js";

/** Most bytes of a user key a span's text shows. */
export const SPAN_KEY_BYTES_SHOWN_MAX = 32;
/** Most bytes of a bound the hex form shows. */
const SPAN_HEX_BYTES_SHOWN_MAX = 16;
/** One past the largest keyspace id: the position after every keyspace of an area. */
const KEYSPACE_END = 2 ** 32;

const HASH_AREA = { start: Uint8Array.of(KEY_TAG_HASH), end: Uint8Array.of(KEY_TAG_RANGE) };
const ORDERED_AREA = { start: Uint8Array.of(KEY_TAG_RANGE), end: Uint8Array.of(KEY_TAG_RANGE + 1) };

/** The span [start, end) of internal keys in words (see the file's header). */
export function describeSpan(start: Uint8Array, end: Uint8Array): string {
  if (compareBytes(start, end) >= 0) return "empty";
  const pieces: string[] = [];
  const before = clip(start, end, new Uint8Array(0), HASH_AREA.start);
  if (before) pieces.push(hexSpan(before.start, before.end));
  const hash = clip(start, end, HASH_AREA.start, HASH_AREA.end);
  if (hash) pieces.push(hashSpan(hash.start, hash.end));
  const ordered = clip(start, end, ORDERED_AREA.start, ORDERED_AREA.end);
  if (ordered) pieces.push(orderedSpan(ordered.start, ordered.end));
  if (compareBytes(end, ORDERED_AREA.end) > 0) {
    const after = compareBytes(start, ORDERED_AREA.end) > 0 ? start : ORDERED_AREA.end;
    pieces.push(hexSpan(after, end));
  }
  return pieces.join(" + ");
}

/** [start, end) ∩ [lo, hi), or undefined when empty. */
function clip(
  start: Uint8Array,
  end: Uint8Array,
  lo: Uint8Array,
  hi: Uint8Array,
): { start: Uint8Array; end: Uint8Array } | undefined {
  const s = compareBytes(start, lo) > 0 ? start : lo;
  const e = compareBytes(end, hi) < 0 ? end : hi;
  return compareBytes(s, e) < 0 ? { start: s, end: e } : undefined;
}

/** Big-endian unsigned integer of `bytes[at, at + n)`, missing bytes read as 0. */
function readUint(bytes: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + (bytes[at + i] ?? 0);
  return v;
}

// ---- hash area -----------------------------------------------------------------

/** A slot boundary of the hash area: slot SLOT_COUNT of `ks` is slot 0 of `ks + 1`. */
interface SlotPosition {
  readonly ks: number;
  readonly slot: number;
}

/** The slot boundary at or before `key` (spans of the hash area end at slot boundaries). */
function slotPosition(key: Uint8Array): SlotPosition {
  if (key[0] !== KEY_TAG_HASH) return { ks: KEYSPACE_END, slot: 0 };
  const ks = readUint(key, 1, 4);
  const slot = Math.min(SLOT_COUNT, readUint(key, 5, 2));
  return slot === SLOT_COUNT ? { ks: ks + 1, slot: 0 } : { ks, slot };
}

function keyspaceName(ks: number): string {
  return ks === SYSTEM_KEYSPACE_ID ? "system" : `db${ks}`;
}

/** Slots [from, to) of keyspace `ks`. */
function slotPiece(ks: number, from: number, to: number): string {
  if (ks === 0) return `slots ${from}-${to - 1}`;
  if (from === 0 && to === SLOT_COUNT) return keyspaceName(ks);
  return `${keyspaceName(ks)} slots ${from}-${to - 1}`;
}

/** Whole keyspaces first..last (inclusive); keyspace 0 and the system keyspace stand apart. */
function wholeKeyspaces(first: number, last: number): string[] {
  const out: string[] = [];
  let lo = first;
  let hi = last;
  if (lo === 0 && lo <= hi) {
    out.push(slotPiece(0, 0, SLOT_COUNT));
    lo = 1;
  }
  const system = hi === SYSTEM_KEYSPACE_ID && lo <= hi;
  if (system) hi--;
  if (lo === hi) out.push(keyspaceName(lo));
  else if (lo < hi) out.push(`${keyspaceName(lo)}-${keyspaceName(hi)}`);
  if (system) out.push(keyspaceName(SYSTEM_KEYSPACE_ID));
  return out;
}

function hashSpan(start: Uint8Array, end: Uint8Array): string {
  const a = slotPosition(start);
  const b = slotPosition(end);
  // The last keyspace the span reaches into, and the slot it stops before there.
  const lastKs = b.slot === 0 ? b.ks - 1 : b.ks;
  const lastSlotEnd = b.slot === 0 ? SLOT_COUNT : b.slot;
  if (lastKs < a.ks || (lastKs === a.ks && lastSlotEnd <= a.slot)) return "empty";
  if (lastKs === a.ks) return slotPiece(a.ks, a.slot, lastSlotEnd);
  const pieces: string[] = [];
  let firstWhole = a.ks;
  if (a.slot > 0) {
    pieces.push(slotPiece(a.ks, a.slot, SLOT_COUNT));
    firstWhole++;
  }
  const lastWhole = lastSlotEnd === SLOT_COUNT ? lastKs : lastKs - 1;
  pieces.push(...wholeKeyspaces(firstWhole, lastWhole));
  if (lastSlotEnd < SLOT_COUNT) pieces.push(slotPiece(lastKs, 0, lastSlotEnd));
  return pieces.join(" + ");
}

// ---- ordered area --------------------------------------------------------------

/** A bound of the ordered area: a keyspace and a user key ("" = the keyspace's start). */
interface KeyPosition {
  readonly ks: number;
  readonly userKey: Uint8Array;
}

function keyPosition(key: Uint8Array): KeyPosition {
  if (key[0] !== KEY_TAG_RANGE) return { ks: KEYSPACE_END, userKey: new Uint8Array(0) };
  return { ks: readUint(key, 1, 4), userKey: key.subarray(5) };
}

function orderedSpan(start: Uint8Array, end: Uint8Array): string {
  const a = keyPosition(start);
  const b = keyPosition(end);
  // An end at a keyspace's start closes the keyspace before it.
  const lastKs = b.userKey.length === 0 ? b.ks - 1 : b.ks;
  const toEnd = b.userKey.length === 0;
  if (a.userKey.length === 0 && toEnd) {
    return a.ks === lastKs ? `ordered db${a.ks}` : `ordered db${a.ks}-db${lastKs}`;
  }
  const from = a.userKey.length === 0 ? "-inf" : quoteKey(a.userKey);
  const to = toEnd ? "+inf" : quoteKey(b.userKey);
  if (a.ks === lastKs) return `ordered db${a.ks} keys ${from} to ${to}`;
  return `ordered db${a.ks} ${from} to db${lastKs} ${to}`;
}

/** A user key in double quotes, escaped so the text stays one INFO field. */
export function quoteKey(key: Uint8Array): string {
  let out = '"';
  const shown = key.subarray(0, SPAN_KEY_BYTES_SHOWN_MAX);
  for (const b of shown) {
    const plain = b >= 0x20 && b <= 0x7e && !'"\\,='.includes(String.fromCharCode(b));
    out += plain ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return `${out}${key.length > shown.length ? "..." : ""}"`;
}

// ---- outside the data areas ------------------------------------------------------

function hex(bytes: Uint8Array): string {
  const shown = bytes.subarray(0, SPAN_HEX_BYTES_SHOWN_MAX);
  const text = [...shown].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `0x${text}${bytes.length > shown.length ? "..." : ""}`;
}

function hexSpan(start: Uint8Array, end: Uint8Array): string {
  return `${hex(start)}-${hex(end)}`;
}
