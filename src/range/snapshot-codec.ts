/**
 * The byte stream of a range snapshot and its chunks (DESIGN.md §5). A
 * snapshot's data is the key/value pairs of the range's span, encoded as
 *
 *   repeated { u32 keyBytes | key | u32 valueBytes | value }   (big-endian)
 *
 * and cut into chunks of at most `SNAPSHOT_CHUNK_BYTES_MAX` bytes (an entry
 * may straddle chunks). Each chunk carries the CRC-32C of its bytes, and the
 * commit the CRC-32C of the whole stream; the receiver checks both and
 * refuses the snapshot (CORRUPTION) on a mismatch, so a snapshot is installed
 * exactly as the leader read it or not at all.
 *
 * Both sides stream: the encoder pulls entries as it fills a chunk and the
 * decoder takes chunks as they come, so neither holds more than a chunk and
 * one entry, whatever the size of the range (a range of gigabytes moves with
 * the memory of a few megabytes).
 */
import { TesseraError } from "../lib/index.js";
import { crc32c, type SpanEntry } from "../storage/index.js";

/** Largest chunk of a snapshot stream sent in one bus call. */
export const SNAPSHOT_CHUNK_BYTES_MAX = 1024 * 1024;

/**
 * Largest entry a stream may hold: a length past it can only be damage (or
 * chunks out of order), refused before the decoder waits for that many bytes.
 */
export const SNAPSHOT_ENTRY_BYTES_MAX = 1024 * 1024 * 1024;

export interface SnapshotChunk {
  readonly data: Uint8Array;
  readonly crc: number;
}

export interface EncodedSnapshot extends Readonly<SnapshotCount> {
  readonly chunkList: readonly SnapshotChunk[];
}

function corrupt(what: string): never {
  throw new TesseraError("CORRUPTION", `snapshot stream is corrupt: ${what}`);
}

/** The totals of a stream being encoded, complete once the encoder is done. */
export interface SnapshotCount {
  chunks: number;
  bytes: number;
  crc: number;
  keys: number;
}

/**
 * Encodes `entries` lazily: yields each chunk once full (and the last one,
 * possibly short), pulling entries only as the chunk needs them, and counts
 * the stream in `count`. An empty span is no chunk at all. Leaving the loop
 * early (`break`, a throw) ends the pull from `entries` too.
 */
export function* encodeSnapshotChunks(
  entries: Iterable<SpanEntry>,
  count: SnapshotCount,
  chunkBytesMax = SNAPSHOT_CHUNK_BYTES_MAX,
): Generator<SnapshotChunk, void, void> {
  let chunk = new Uint8Array(chunkBytesMax);
  let used = 0;
  const header = new Uint8Array(4);
  const headerView = new DataView(header.buffer);
  const full = (): SnapshotChunk => {
    const data = chunk.subarray(0, used);
    const c = { data, crc: crc32c(data) };
    count.crc = crc32c(data, count.crc);
    count.bytes += used;
    count.chunks++;
    chunk = new Uint8Array(chunkBytesMax);
    used = 0;
    return c;
  };
  // Copies `src` into chunks, yielding each chunk it fills.
  function* put(src: Uint8Array): Generator<SnapshotChunk, void, void> {
    let at = 0;
    while (at < src.byteLength) {
      const n = Math.min(chunkBytesMax - used, src.byteLength - at);
      chunk.set(src.subarray(at, at + n), used);
      used += n;
      at += n;
      if (used === chunkBytesMax) yield full();
    }
  }
  for (const e of entries) {
    count.keys++;
    headerView.setUint32(0, e.key.byteLength);
    yield* put(header);
    yield* put(e.key);
    headerView.setUint32(0, e.value.byteLength);
    yield* put(header);
    yield* put(e.value);
  }
  if (used > 0) yield full();
}

/** A count to pass to `encodeSnapshotChunks`. */
export function newSnapshotCount(): SnapshotCount {
  return { chunks: 0, bytes: 0, crc: 0, keys: 0 };
}

/** Encodes `entries` at once (for tests and small spans). */
export function encodeSnapshot(
  entries: Iterable<SpanEntry>,
  chunkBytesMax = SNAPSHOT_CHUNK_BYTES_MAX,
): EncodedSnapshot {
  const count = newSnapshotCount();
  // The encoder reuses nothing: each chunk owns its bytes.
  const chunkList = [...encodeSnapshotChunks(entries, count, chunkBytesMax)];
  return { ...count, chunkList };
}

/** Checks one chunk's checksum; CORRUPTION on a mismatch. */
export function checkChunk(chunk: SnapshotChunk): void {
  if (crc32c(chunk.data) !== chunk.crc >>> 0) corrupt("chunk checksum");
}

/**
 * Decodes a stream piece by piece: `push` takes the next bytes and returns
 * the entries they complete; `end` checks nothing is left half-read. Keys
 * and values are copies, never views of the pushed bytes.
 */
export class SnapshotDecoder {
  /**
   * Bytes of the entry not complete yet, as pushed (concatenated only once
   * enough is here: a value straddling many chunks is copied once, not once
   * per chunk).
   */
  private parts: Uint8Array[] = [];
  private partsBytes = 0;
  /** Bytes needed in `parts` before another entry can complete. */
  private need = 0;
  private crcSoFar = 0;
  private bytesSoFar = 0;

  /** `withCrc` false: a stream already checked, read back (no checksum kept or checked). */
  constructor(private readonly withCrc = true) {}

  /** CRC-32C of every byte pushed so far. */
  get crc(): number {
    return this.crcSoFar;
  }

  get bytes(): number {
    return this.bytesSoFar;
  }

  push(piece: Uint8Array): SpanEntry[] {
    if (this.withCrc) this.crcSoFar = crc32c(piece, this.crcSoFar);
    this.bytesSoFar += piece.byteLength;
    this.parts.push(piece);
    this.partsBytes += piece.byteLength;
    if (this.partsBytes < this.need) return [];
    const buf = this.parts.length === 1 ? piece : concat(this.parts, this.partsBytes);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const out: SpanEntry[] = [];
    let at = 0;
    for (;;) {
      // An entry is complete when both lengths and both byte strings are here.
      if (at + 4 > buf.byteLength) {
        this.need = 4;
        break;
      }
      const keyBytes = view.getUint32(at);
      const valueAt = at + 4 + keyBytes;
      if (valueAt + 4 > buf.byteLength) {
        this.need = 8 + keyBytes;
        if (this.need > SNAPSHOT_ENTRY_BYTES_MAX) corrupt(`a key of ${keyBytes} bytes`);
        break;
      }
      const valueBytes = view.getUint32(valueAt);
      const end = valueAt + 4 + valueBytes;
      if (end > buf.byteLength) {
        this.need = 8 + keyBytes + valueBytes;
        if (this.need > SNAPSHOT_ENTRY_BYTES_MAX) corrupt(`an entry of ${this.need} bytes`);
        break;
      }
      out.push({ key: buf.slice(at + 4, valueAt), value: buf.slice(valueAt + 4, end) });
      at = end;
    }
    const rest = buf.slice(at);
    this.parts = rest.byteLength > 0 ? [rest] : [];
    this.partsBytes = rest.byteLength;
    return out;
  }

  /**
   * CORRUPTION if the stream stopped inside an entry or, when `crc` is
   * given, if the stream's CRC-32C is not `crc`.
   */
  end(crc?: number): void {
    if (this.partsBytes > 0) corrupt("truncated entry");
    if (crc !== undefined && (!this.withCrc || this.crcSoFar !== crc >>> 0)) {
      corrupt("stream checksum");
    }
  }
}

function concat(parts: readonly Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Reassembles and decodes a stream from its chunks (each already checked). */
export function decodeSnapshot(chunks: Iterable<Uint8Array>, crc: number): SpanEntry[] {
  const d = new SnapshotDecoder();
  const out: SpanEntry[] = [];
  for (const c of chunks) for (const e of d.push(c)) out.push(e);
  d.end(crc);
  return out;
}
