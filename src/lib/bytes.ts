/**
 * Byte-string helpers shared by the encodings: unsigned lexicographic order
 * (the order LMDB keeps keys in), concatenation and the bounds of a prefix.
 * All functions are pure and never alias their inputs in their outputs unless
 * they say so.
 */

/** Unsigned lexicographic comparison: negative, 0 or positive like `memcmp`. */
/**
 * `n` bytes of uninitialized memory, for a record the caller writes whole
 * before anything reads it. They come from Node's buffer pool: a
 * `new Uint8Array` of more than 64 bytes is an ArrayBuffer of its own (a
 * malloc, then a sweep), and records of every write (stored entries, value
 * records) made those a tenth of a busy node's CPU.
 */
export function uninitializedBytes(n: number): Uint8Array {
  return Buffer.allocUnsafe(n);
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The smallest byte string greater than `key`: `key` followed by 0x00. */
export function keySuccessor(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out.set(key);
  return out;
}

/**
 * The smallest byte string greater than every string that starts with
 * `prefix`, or undefined when there is none (the prefix is all 0xff).
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i] !== 0xff) {
      const out = prefix.slice(0, i + 1);
      out[i] = (out[i] as number) + 1;
      return out;
    }
  }
  return undefined;
}

/** Whether `key` starts with `prefix`. */
export function hasPrefix(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** UTF-8 bytes of `s`. */
export function utf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

/** `bytes` read as UTF-8 (invalid sequences become U+FFFD). */
export function fromUtf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/** `bytes` read as Latin-1: one char per byte, for ASCII text such as numbers. */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i] as number);
  return s;
}

/** A string of char codes < 256 as bytes (the inverse of `latin1`). */
export function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}
