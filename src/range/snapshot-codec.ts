/**
 * The byte stream of a range snapshot and its chunks (DESIGN.md §5). A
 * snapshot's data is the key/value pairs of the range's span, encoded as
 *
 *   repeated { u32 keyBytes | key | u32 valueBytes | value }   (big-endian)
 *
 * and cut into chunks of at most `SNAPSHOT_CHUNK_BYTES_MAX` bytes. Each chunk
 * carries the CRC-32C of its bytes, and the commit the CRC-32C of the whole
 * stream; the receiver checks both and refuses the snapshot (CORRUPTION) on a
 * mismatch, so a snapshot is installed exactly as the leader read it or not
 * at all.
 */
import { TesseraError } from "../lib/index.js";
import { crc32c, type SpanEntry } from "../storage/index.js";

/** Largest chunk of a snapshot stream sent in one bus call. */
export const SNAPSHOT_CHUNK_BYTES_MAX = 1024 * 1024;

export interface SnapshotChunk {
  readonly data: Uint8Array;
  readonly crc: number;
}

export interface EncodedSnapshot {
  readonly chunks: readonly SnapshotChunk[];
  /** CRC-32C of the whole stream. */
  readonly crc: number;
  readonly bytes: number;
}

function corrupt(what: string): never {
  throw new TesseraError("CORRUPTION", `snapshot stream is corrupt: ${what}`);
}

/** Encodes `entries` and cuts the stream into checksummed chunks. */
export function encodeSnapshot(
  entries: readonly SpanEntry[],
  chunkBytesMax = SNAPSHOT_CHUNK_BYTES_MAX,
): EncodedSnapshot {
  let total = 0;
  for (const e of entries) total += 8 + e.key.byteLength + e.value.byteLength;
  const stream = new Uint8Array(total);
  const view = new DataView(stream.buffer);
  let at = 0;
  for (const e of entries) {
    view.setUint32(at, e.key.byteLength);
    stream.set(e.key, at + 4);
    at += 4 + e.key.byteLength;
    view.setUint32(at, e.value.byteLength);
    stream.set(e.value, at + 4);
    at += 4 + e.value.byteLength;
  }
  const chunks: SnapshotChunk[] = [];
  for (let off = 0; off < total; off += chunkBytesMax) {
    const data = stream.subarray(off, Math.min(total, off + chunkBytesMax));
    chunks.push({ data, crc: crc32c(data) });
  }
  return { chunks, crc: crc32c(stream), bytes: total };
}

/** Checks one chunk's checksum; CORRUPTION on a mismatch. */
export function checkChunk(chunk: SnapshotChunk): void {
  if (crc32c(chunk.data) !== chunk.crc >>> 0) corrupt("chunk checksum");
}

/** Reassembles and decodes a stream from its chunks (each already checked). */
export function decodeSnapshot(chunks: readonly Uint8Array[], crc: number): SpanEntry[] {
  let total = 0;
  for (const c of chunks) total += c.byteLength;
  const stream = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    stream.set(c, at);
    at += c.byteLength;
  }
  if (crc32c(stream) !== crc >>> 0) corrupt("stream checksum");
  const view = new DataView(stream.buffer);
  const out: SpanEntry[] = [];
  at = 0;
  const take = (): Uint8Array => {
    if (at + 4 > total) corrupt("truncated length");
    const n = view.getUint32(at);
    if (at + 4 + n > total) corrupt("truncated bytes");
    const bytes = stream.slice(at + 4, at + 4 + n);
    at += 4 + n;
    return bytes;
  };
  while (at < total) {
    const key = take();
    const value = take();
    out.push({ key, value });
  }
  return out;
}
