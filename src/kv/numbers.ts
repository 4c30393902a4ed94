/**
 * Numbers as Redis stores them in strings.
 *
 * - `parseInt64` is Redis's `string2ll` (util.c): an optional "-", then digits
 *   with no leading zero (except "0" itself), no spaces, no "+", within signed
 *   64 bits. INCR and friends accept exactly these values.
 * - `parseLongDouble` follows `string2ld` (util.c): C `strtold` syntax
 *   (decimal, exponent, hex floats, "inf"/"infinity"), no leading space, no
 *   trailing garbage, NaN refused. Tessera computes in IEEE doubles where Redis
 *   uses x87 long doubles, so a literal beyond the double range is refused here
 *   although Redis would take it.
 * - `formatLongDouble` is `ld2string(..., LD_STR_HUMAN)`: "%.17Lf" with the
 *   trailing zeros (and a trailing ".") removed, "-0" written "0". Since a
 *   double has fewer digits than a long double, the digits printed are those of
 *   the shortest decimal that reads back as the same double, rounded at the
 *   17th decimal; `addLongDoubles` adds in exact decimal for the same reason.
 */
import { FLOAT_TEXT_BYTES_MAX } from "./limits.js";

export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;

const ZERO = 0x30;
const NINE = 0x39;
const MINUS = 0x2d;

/** `string2ll`: the signed 64-bit integer `bytes` spells, or undefined. */
export function parseInt64(bytes: Uint8Array): bigint | undefined {
  const n = bytes.length;
  if (n === 0 || n > 20) return undefined;
  if (n === 1 && bytes[0] === ZERO) return 0n;
  let i = 0;
  const negative = bytes[0] === MINUS;
  if (negative) {
    i = 1;
    if (n === 1) return undefined;
  }
  const first = bytes[i] as number;
  if (first < ZERO + 1 || first > NINE) return undefined;
  let v = 0n;
  for (; i < n; i++) {
    const c = bytes[i] as number;
    if (c < ZERO || c > NINE) return undefined;
    v = v * 10n + BigInt(c - ZERO);
  }
  if (negative) v = -v;
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

/** The decimal text Redis stores for an integer. */
export function formatInt64(v: bigint): Uint8Array {
  return asciiBytes(v.toString());
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)([pP]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)(inf|infinity)$/i;

/** `string2ld`: the float `bytes` spells (possibly ±Infinity), or undefined. */
export function parseLongDouble(bytes: Uint8Array): number | undefined {
  if (bytes.length === 0 || bytes.length >= FLOAT_TEXT_BYTES_MAX) return undefined;
  let text = "";
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number;
    if (c === 0 || c > 0x7e) return undefined;
    text += String.fromCharCode(c);
  }
  if (DECIMAL.test(text)) {
    const v = Number(text);
    // Out of the double range: strtold's ERANGE to HUGE_VAL is refused too.
    return Number.isFinite(v) ? v : undefined;
  }
  const inf = INFINITY.exec(text);
  if (inf) return inf[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const hex = HEX.exec(text);
  if (hex) return parseHexFloat(hex[1] === "-", hex[2] as string, Number(hex[4] ?? "0"));
  return undefined;
}

function parseHexFloat(negative: boolean, mantissa: string, binaryExp: number): number | undefined {
  const dot = mantissa.indexOf(".");
  const digits = mantissa.replace(".", "");
  const fractionDigits = dot === -1 ? 0 : mantissa.length - dot - 1;
  let v = 0;
  for (const d of digits) v = v * 16 + Number.parseInt(d, 16);
  v = v * 2 ** (binaryExp - 4 * fractionDigits);
  if (!Number.isFinite(v)) return undefined;
  return negative ? -v : v;
}

/** A decimal number: `coef` × 10^`exp10`. */
interface Decimal {
  readonly coef: bigint;
  readonly exp10: number;
}

/** The shortest decimal that reads back as the double `x` (finite). */
function decimalOf(x: number): Decimal {
  if (x === 0) return { coef: 0n, exp10: 0 };
  // toExponential() with no argument gives the shortest round-trip digits.
  const [mant, exp] = x.toExponential().split("e") as [string, string];
  const digits = mant.replace(".", "");
  const fractionDigits = mant.includes(".") ? mant.length - mant.indexOf(".") - 1 : 0;
  return { coef: BigInt(digits), exp10: Number(exp) - fractionDigits };
}

function addDecimals(a: Decimal, b: Decimal): Decimal {
  const exp10 = Math.min(a.exp10, b.exp10);
  const scale = (d: Decimal): bigint => d.coef * 10n ** BigInt(d.exp10 - exp10);
  return { coef: scale(a) + scale(b), exp10 };
}

/** "%.17f" of a decimal (rounded half away from zero), then trailing zeros trimmed. */
function formatDecimal(d: Decimal): string {
  let { coef, exp10 } = d;
  if (exp10 < -17) {
    const drop = 10n ** BigInt(-17 - exp10);
    const half = drop / 2n;
    coef = coef >= 0n ? (coef + half) / drop : -((-coef + half) / drop);
    exp10 = -17;
  }
  const negative = coef < 0n;
  let text = (negative ? -coef : coef).toString();
  if (exp10 >= 0) {
    text += "0".repeat(exp10);
  } else {
    const places = -exp10;
    text = text.padStart(places + 1, "0");
    const frac = text.slice(text.length - places).replace(/0+$/, "");
    text = text.slice(0, text.length - places) + (frac.length > 0 ? `.${frac}` : "");
  }
  return negative && text !== "0" ? `-${text}` : text;
}

/** `ld2string(LD_STR_HUMAN)` of a finite double (its shortest decimal, rounded to 17 places). */
export function formatLongDouble(x: number): string {
  return formatDecimal(decimalOf(x));
}

/**
 * INCRBYFLOAT's result text for `current + delta`, or undefined when the sum
 * is NaN or infinite. The sum is taken exactly on the two operands' shortest
 * decimals, which is what Redis's 64-bit-mantissa long double arithmetic
 * shows at 17 decimals for everyday values (0.1 + 0.2 gives "0.3", as in
 * Redis), where a double sum would show its rounding error.
 */
export function addLongDoubles(current: number, delta: number): string | undefined {
  if (!Number.isFinite(current + delta)) return undefined;
  return formatDecimal(addDecimals(decimalOf(current), decimalOf(delta)));
}

export function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
