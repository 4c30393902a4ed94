/**
 * The sequential specification of the string commands Tessera serves, for
 * checking histories recorded from real clients or the simulator: GET, SET
 * (plain, NX, XX), DEL, INCR, GETSET and APPEND on single keys, with Redis
 * semantics. Keys are independent, so the model partitions by key and its
 * state is one key's value (null when the key does not exist).
 *
 * Replies, as a client sees them:
 * - GET: the value, or null.        - SET: "OK", or null when NX/XX refused it.
 * - DEL: 1 if the key existed, else 0.  - GETSET: the old value, or null.
 * - APPEND: the new length in bytes (UTF-8).
 * - INCR: the new value as an integer (number or bigint); on a value that is
 *   not a signed 64-bit integer in Redis's strict decimal form, the error
 *   NOT_INTEGER, and OVERFLOW past the int64 range. An error leaves the value.
 */
import type { ErrorCode } from "../../../src/lib/index.js";
import {
  hashString,
  ILLEGAL,
  type Illegal,
  type Model,
  partitionBy,
  UNKNOWN,
  type Unknown,
} from "../model.js";

export type KvState = string | null;

export type KvInput =
  | { readonly cmd: "GET"; readonly key: string }
  | {
      readonly cmd: "SET";
      readonly key: string;
      readonly value: string;
      readonly cond?: "NX" | "XX";
    }
  | { readonly cmd: "DEL"; readonly key: string }
  | { readonly cmd: "INCR"; readonly key: string }
  | { readonly cmd: "GETSET"; readonly key: string; readonly value: string }
  | { readonly cmd: "APPEND"; readonly key: string; readonly value: string };

export interface KvError {
  readonly error: ErrorCode;
}

export type KvOutput = string | number | bigint | null | KvError;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Redis's string2ll: no sign but "-", no leading zeros, no "-0", no spaces. */
const STRICT_INTEGER = /^(0|-?[1-9][0-9]*)$/;

/** The integer a value holds, as INCR reads it, or undefined if it holds none. */
export function parseInt64(value: string): bigint | undefined {
  if (!STRICT_INTEGER.test(value)) return undefined;
  const n = BigInt(value);
  return n >= INT64_MIN && n <= INT64_MAX ? n : undefined;
}

/** Length in bytes of the UTF-8 encoding of `s`. */
export function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isError(output: KvOutput, code: ErrorCode): boolean {
  return typeof output === "object" && output !== null && output.error === code;
}

function sameInteger(output: KvOutput, n: bigint): boolean {
  return (typeof output === "number" || typeof output === "bigint") && BigInt(output) === n;
}

/** The next state, and the reply the command must have given. */
function apply(state: KvState, input: KvInput): [KvState, (o: KvOutput) => boolean] {
  switch (input.cmd) {
    case "GET":
      return [state, (o) => o === state];
    case "SET": {
      const refused =
        (input.cond === "NX" && state !== null) || (input.cond === "XX" && state === null);
      return refused ? [state, (o) => o === null] : [input.value, (o) => o === "OK"];
    }
    case "DEL":
      return [null, (o) => sameInteger(o, state === null ? 0n : 1n)];
    case "GETSET":
      return [input.value, (o) => o === state];
    case "APPEND": {
      const next = (state ?? "") + input.value;
      return [next, (o) => sameInteger(o, BigInt(utf8Length(next)))];
    }
    case "INCR": {
      const n = state === null ? 0n : parseInt64(state);
      if (n === undefined) return [state, (o) => isError(o, "NOT_INTEGER")];
      if (n === INT64_MAX) return [state, (o) => isError(o, "OVERFLOW")];
      return [String(n + 1n), (o) => sameInteger(o, n + 1n)];
    }
  }
}

function step(state: KvState, input: KvInput, output: KvOutput | Unknown): KvState | Illegal {
  const [next, expects] = apply(state, input);
  return output === UNKNOWN || expects(output) ? next : ILLEGAL;
}

function show(v: KvOutput | Unknown): string {
  if (v === UNKNOWN) return "?";
  if (v === null) return "nil";
  if (typeof v === "object") return `(error ${v.error})`;
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

function describe(input: KvInput, output: KvOutput | Unknown): string {
  const args =
    input.cmd === "SET"
      ? ` ${JSON.stringify(input.value)}${input.cond === undefined ? "" : ` ${input.cond}`}`
      : input.cmd === "GETSET" || input.cmd === "APPEND"
        ? ` ${JSON.stringify(input.value)}`
        : "";
  return `${input.cmd} ${input.key}${args} -> ${show(output)}`;
}

export const kvModel: Model<KvState, KvInput, KvOutput> = {
  name: "tessera-kv",
  init: () => null,
  step,
  equal: (a, b) => a === b,
  hash: (s) => (s === null ? 0 : hashString(s) | 1),
  partition: partitionBy((input) => input.key),
  readOnly: (input) => input.cmd === "GET",
  describe,
};
