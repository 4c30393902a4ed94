/**
 * The shape of the data every workload reads and writes: keys `key:` followed
 * by the index as 12 zero-padded digits (fixed width, so every command of a
 * kind has the same size; the same names redis-benchmark's `-r` produces, so
 * keys loaded here are the keys it reads), and values of a fixed size filled
 * with printable bytes.
 * Commands are pre-encoded templates into which the key digits are written.
 */

export const KEY_PREFIX = "key:";
export const KEY_DIGITS = 12;
export const KEY_BYTES = KEY_PREFIX.length + KEY_DIGITS;

/** The key for `index` as text. */
export function keyName(index: number): string {
  return `${KEY_PREFIX}${String(index).padStart(KEY_DIGITS, "0")}`;
}

/** A value of `bytes` printable bytes (deterministic from `seed`). */
export function valueBytes(bytes: number, seed = 1): Buffer {
  const out = Buffer.alloc(bytes);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = 0x61 + ((state >>> 0) % 26);
  }
  return out;
}

/**
 * A command template `*N … $KEY_BYTES\r\nkey:XXXXXXXXXX\r\n …` with the offset
 * of the key digits, so a command for index i is a copy plus ten digit writes.
 */
export class CommandTemplate {
  readonly bytes: Buffer;
  readonly digitsOffset: number;

  constructor(verb: string, value?: Buffer) {
    const head = `*${value === undefined ? 2 : 3}\r\n$${verb.length}\r\n${verb}\r\n$${KEY_BYTES}\r\n${KEY_PREFIX}`;
    const parts: Buffer[] = [
      Buffer.from(head),
      Buffer.alloc(KEY_DIGITS, 0x30),
      Buffer.from("\r\n"),
    ];
    if (value !== undefined)
      parts.push(Buffer.from(`$${value.length}\r\n`), value, Buffer.from("\r\n"));
    this.bytes = Buffer.concat(parts);
    this.digitsOffset = head.length;
  }

  /** Writes the command for key `index` into `out` at `at`; returns the end offset. */
  writeInto(out: Buffer, at: number, index: number): number {
    this.bytes.copy(out, at);
    let v = index;
    for (let d = KEY_DIGITS - 1; d >= 0; d--) {
      out[at + this.digitsOffset + d] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    }
    return at + this.bytes.length;
  }
}

/** The key bytes for `index` (for slot computation). */
export function keyBytes(index: number): Buffer {
  return Buffer.from(keyName(index));
}
