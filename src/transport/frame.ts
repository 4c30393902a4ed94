/**
 * Frames: the unit of the bus's wire format. A frame is
 *
 *     length (u32 BE) | kind (u8) | payload
 *
 * where `length` counts the kind byte and the payload, so it is at least 1.
 * A payload larger than `busFrameBytesMax`, a zero length or an unknown kind is
 * a protocol error: the connection that carried it is closed. `FrameDecoder`
 * turns a stream of chunks into frames; a frame that lies within one chunk is
 * handed out as a view of that chunk (no copy), a frame split across chunks is
 * assembled once into a buffer of its exact size.
 */
import { TesseraError } from "../lib/index.js";

export const FrameKind = {
  /** First frame of the dialing side: protocol version, cluster id, node id, address. */
  hello: 1,
  /** The accepting side's answer to an acceptable hello: its own hello. */
  helloAck: 2,
  /** The accepting side refuses the hello (reason inside); the connection then closes. */
  helloRefused: 3,
  /** Raft messages: one or more (range, messages) groups. */
  raft: 4,
  /** A request: id, method, time left, request. */
  call: 5,
  /** The answer to a call: ok with a value, or an error code, message and details. */
  callResult: 6,
  /** Liveness probe sent on an idle connection; answered by a pong. */
  ping: 7,
  pong: 8,
} as const;

export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

const KIND_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(FrameKind).map(([name, kind]) => [kind, name]),
);

export function frameKindName(kind: number): string {
  return KIND_NAMES[kind] ?? `unknown(${kind})`;
}

function isFrameKind(kind: number): kind is FrameKind {
  return kind in KIND_NAMES;
}

/** Bytes before the payload: the length and the kind. */
export const FRAME_HEADER_BYTES = 5;

/** The header of a frame whose payload is `payloadBytes` long. */
export function frameHeader(kind: FrameKind, payloadBytes: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(payloadBytes + 1, 0);
  header[4] = kind;
  return header;
}

/** A whole frame in one buffer (for small control frames). */
export function encodeFrame(kind: FrameKind, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.byteLength);
  out.writeUInt32BE(payload.byteLength + 1, 0);
  out[4] = kind;
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

export type FrameHandler = (kind: FrameKind, payload: Buffer) => void;

export class FrameDecoder {
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private body: Buffer | undefined;
  private bodyFill = 0;
  private bodyKind: FrameKind = FrameKind.ping;

  constructor(private readonly frameBytesMax: number) {}

  /** Bytes of a partial frame held (for stats and tests). */
  get bufferedBytes(): number {
    return this.headerFill + this.bodyFill;
  }

  /**
   * Feeds one chunk, calling `onFrame` for each complete frame in order.
   * Throws PROTOCOL on a malformed header; the caller must then close the stream.
   */
  push(chunk: Buffer, onFrame: FrameHandler): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.body !== undefined) {
        const n = Math.min(chunk.length - at, this.body.length - this.bodyFill);
        chunk.copy(this.body, this.bodyFill, at, at + n);
        this.bodyFill += n;
        at += n;
        if (this.bodyFill === this.body.length) {
          const body = this.body;
          this.body = undefined;
          this.bodyFill = 0;
          onFrame(this.bodyKind, body);
        }
        continue;
      }
      if (this.headerFill === 0 && chunk.length - at >= FRAME_HEADER_BYTES) {
        const [kind, payloadBytes] = this.parseHeader(chunk, at);
        at += FRAME_HEADER_BYTES;
        if (chunk.length - at >= payloadBytes) {
          // The common case: the whole frame is in this chunk; hand out a view.
          onFrame(kind, chunk.subarray(at, at + payloadBytes));
          at += payloadBytes;
        } else {
          this.startBody(kind, payloadBytes);
        }
        continue;
      }
      const n = Math.min(chunk.length - at, FRAME_HEADER_BYTES - this.headerFill);
      chunk.copy(this.header, this.headerFill, at, at + n);
      this.headerFill += n;
      at += n;
      if (this.headerFill === FRAME_HEADER_BYTES) {
        this.headerFill = 0;
        const [kind, payloadBytes] = this.parseHeader(this.header, 0);
        if (payloadBytes === 0) onFrame(kind, Buffer.alloc(0));
        else this.startBody(kind, payloadBytes);
      }
    }
  }

  private startBody(kind: FrameKind, payloadBytes: number): void {
    this.body = Buffer.allocUnsafe(payloadBytes);
    this.bodyFill = 0;
    this.bodyKind = kind;
  }

  private parseHeader(bytes: Buffer, at: number): [FrameKind, number] {
    const length = bytes.readUInt32BE(at);
    const kind = bytes[at + 4] as number;
    if (length === 0) throw new TesseraError("PROTOCOL", "bus frame with zero length");
    const payloadBytes = length - 1;
    if (payloadBytes > this.frameBytesMax) {
      throw new TesseraError(
        "PROTOCOL",
        `bus frame of ${payloadBytes} bytes exceeds busFrameBytesMax (${this.frameBytesMax})`,
        { payloadBytes, busFrameBytesMax: this.frameBytesMax },
      );
    }
    if (!isFrameKind(kind)) throw new TesseraError("PROTOCOL", `unknown bus frame kind ${kind}`);
    return [kind, payloadBytes];
  }
}
