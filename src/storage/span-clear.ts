/**
 * Records of spans of the data database that hold data no replica owns and
 * that must be deleted: the span of a replica removed from this node, and
 * the span a snapshot was being written into ahead of its install (an
 * install cut short by a crash or abandoned). Deleting gigabytes in one
 * transaction would stop the node for seconds, so the deletion is done in
 * bounded transactions after the record is durable; the last one removes
 * the record. A record left by a crash is picked up when the store opens.
 *
 * Stored in the `meta` database under `span-clear/<id>` (id zero-padded, so
 * records list oldest first). The value is `rangeId (u32) | count (u32) |
 * (startLen (u32) | start | endLen (u32) | end)*` followed by a CRC-32C.
 */
import { TesseraError } from "../lib/index.js";
import { crc32c } from "./crc32c.js";

export interface SpanBounds {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
}

/** Spans of one range to be cleared, under record `id`. */
export interface SpanClear {
  readonly id: number;
  readonly rangeId: number;
  readonly spans: readonly SpanBounds[];
}

const PREFIX = "span-clear/";
const ID_DIGITS = 15;

export function spanClearKey(id: number): Uint8Array {
  return new TextEncoder().encode(PREFIX + String(id).padStart(ID_DIGITS, "0"));
}

/** The key interval holding every record. */
export function spanClearKeys(): SpanBounds {
  const enc = new TextEncoder();
  return { start: enc.encode(PREFIX), end: enc.encode(PREFIX.slice(0, -1) + "0") };
}

export function spanClearId(key: Uint8Array): number {
  const text = new TextDecoder().decode(key);
  const id = Number(text.slice(PREFIX.length));
  if (!text.startsWith(PREFIX) || !Number.isSafeInteger(id)) corrupt(`bad key ${text}`);
  return id;
}

export function encodeSpanClear(c: SpanClear): Uint8Array {
  let size = 8 + 4;
  for (const s of c.spans) size += 8 + s.start.byteLength + s.end.byteLength;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, c.rangeId);
  view.setUint32(4, c.spans.length);
  let at = 8;
  for (const s of c.spans) {
    for (const part of [s.start, s.end]) {
      view.setUint32(at, part.byteLength);
      out.set(part, at + 4);
      at += 4 + part.byteLength;
    }
  }
  view.setUint32(at, crc32c(out.subarray(0, at)));
  return out;
}

export function decodeSpanClear(id: number, bytes: Uint8Array): SpanClear {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12) corrupt(`record ${id} is short`);
  const body = bytes.byteLength - 4;
  if (view.getUint32(body) !== crc32c(bytes.subarray(0, body)))
    corrupt(`record ${id} fails its checksum`);
  const rangeId = view.getUint32(0);
  const count = view.getUint32(4);
  const spans: SpanBounds[] = [];
  let at = 8;
  const part = (): Uint8Array => {
    if (at + 4 > body) corrupt(`record ${id} is short`);
    const len = view.getUint32(at);
    if (at + 4 + len > body) corrupt(`record ${id} is short`);
    const out = bytes.slice(at + 4, at + 4 + len);
    at += 4 + len;
    return out;
  };
  for (let i = 0; i < count; i++) spans.push({ start: part(), end: part() });
  if (at !== body) corrupt(`record ${id} has trailing bytes`);
  return { id, rangeId, spans };
}

function corrupt(what: string): never {
  throw new TesseraError("CORRUPTION", `stored span-clear record: ${what}`);
}
