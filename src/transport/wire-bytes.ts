/**
 * Byte writer and reader for the hand-written Raft codec. Integers are
 * unsigned LEB128 varints of JavaScript safe integers (at most 8 bytes, since
 * 2^53 needs 53 bits); byte strings are a varint length followed by the bytes.
 * The reader never reads past its end and hands byte strings out as views of
 * its input, not copies; every malformation is a PROTOCOL error, because the
 * bytes came from the network.
 */
import { TesseraError } from "../lib/index.js";

const TWO_POW_31 = 0x8000_0000;

export class ByteWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(capacityBytes: number) {
    this.buf = Buffer.allocUnsafe(Math.max(64, capacityBytes));
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far, as a view of the writer's buffer. */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(n: number): void {
    this.ensure(1);
    this.buf[this.pos++] = n;
  }

  bool(b: boolean): void {
    this.u8(b ? 1 : 0);
  }

  uint(n: number): void {
    this.ensure(8);
    const buf = this.buf;
    if (n < TWO_POW_31) {
      while (n > 0x7f) {
        buf[this.pos++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      buf[this.pos++] = n;
      return;
    }
    while (n > 0x7f) {
      buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    buf[this.pos++] = n;
  }

  bytes(b: Uint8Array): void {
    this.uint(b.byteLength);
    this.ensure(b.byteLength);
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
  }

  uints(list: readonly number[]): void {
    this.uint(list.length);
    for (const n of list) this.uint(n);
  }
}

export class ByteReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  u8(): number {
    if (this.pos >= this.buf.length) truncated();
    return this.buf[this.pos++] as number;
  }

  bool(): boolean {
    const b = this.u8();
    if (b > 1) malformed(`boolean byte ${b}`);
    return b === 1;
  }

  uint(): number {
    const buf = this.buf;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= buf.length) truncated();
      const b = buf[this.pos++] as number;
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) malformed("integer beyond 2^53");
        return result;
      }
      scale *= 0x80;
    }
    return malformed("varint longer than 8 bytes");
  }

  /** A length-prefixed byte string, as a plain Uint8Array view of the input (not a copy). */
  bytes(): Uint8Array {
    const n = this.uint();
    if (n > this.buf.length - this.pos) truncated();
    const out = new Uint8Array(this.buf.buffer, this.buf.byteOffset + this.pos, n);
    this.pos += n;
    return out;
  }

  /** A count of items each at least `minItemBytes` long; checked against what is left. */
  count(minItemBytes = 1): number {
    const n = this.uint();
    if (n * minItemBytes > this.buf.length - this.pos) malformed(`count ${n} exceeds the payload`);
    return n;
  }

  uints(): number[] {
    const n = this.count();
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.uint();
    return out;
  }
}

function truncated(): never {
  throw new TesseraError("PROTOCOL", "bus payload truncated");
}

function malformed(what: string): never {
  throw new TesseraError("PROTOCOL", `bus payload malformed: ${what}`);
}
