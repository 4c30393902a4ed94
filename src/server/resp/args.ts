/**
 * Reading command arguments the way Redis does: integers with `string2ll`'s
 * strictness (no sign but '-', no leading zeros, no blanks), floats with
 * `strtold`'s breadth (hex, inf) but no blanks, option names case-insensitively.
 * Failures raise the TesseraError whose reply Redis would send.
 */
import { TesseraError } from "../../lib/index.js";
import { notInteger } from "./errors.js";
import { parseStrictInteger } from "./parser.js";

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** A signed 64-bit integer argument, exactly. */
export function int64Arg(arg: Uint8Array): bigint {
  const text = Buffer.from(arg.buffer, arg.byteOffset, arg.length).toString("latin1");
  if (!/^(0|-?[1-9][0-9]{0,18})$/.test(text)) throw notInteger();
  const v = BigInt(text);
  if (v < INT64_MIN || v > INT64_MAX) throw notInteger();
  return v;
}

/**
 * An integer argument that must fit a JavaScript safe integer (counts, offsets,
 * times); a valid 64-bit integer beyond that is "out of range" as well.
 */
export function intArg(arg: Uint8Array, error: () => TesseraError = notInteger): number {
  const v = parseStrictInteger(arg, 0, arg.length);
  if (v === undefined || !Number.isSafeInteger(v)) throw error();
  return v;
}

const DECIMAL_FLOAT = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?$/i;
const HEX_INTEGER = /^([+-]?)0x([0-9a-f]+)$/i;
const INFINITY = /^([+-]?)(inf|infinity)$/i;

/** Redis's getLongDoubleFromObject: strtold over the whole argument, no blanks. */
export function floatArg(arg: Uint8Array, error: () => TesseraError): number {
  const text = Buffer.from(arg.buffer, arg.byteOffset, arg.length).toString("latin1");
  if (DECIMAL_FLOAT.test(text)) return Number(text);
  const hex = HEX_INTEGER.exec(text);
  if (hex !== null) return (hex[1] === "-" ? -1 : 1) * Number.parseInt(hex[2] as string, 16);
  const inf = INFINITY.exec(text);
  if (inf !== null) return inf[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  throw error();
}

/** An argument as an uppercase option name. */
export function optionArg(arg: Uint8Array): string {
  return Buffer.from(arg.buffer, arg.byteOffset, arg.length).toString("latin1").toUpperCase();
}

/** An argument as text (names, patterns shown back to users). */
export function textArg(arg: Uint8Array): string {
  return Buffer.from(arg.buffer, arg.byteOffset, arg.length).toString("utf8");
}

export function invalidArg(message: string): TesseraError {
  return new TesseraError("INVALID_ARGUMENT", message);
}
