/**
 * Expiry arguments as Redis validates them (t_string.c
 * `getExpireMillisecondsOrReply`, expire.c `expireGenericCommand`), before a
 * command is proposed: a time that is not positive (SET, GETEX, SETEX) or that
 * overflows once made absolute is "invalid expire time in '<cmd>' command".
 * Tessera keeps times as JavaScript safe integers of milliseconds, so
 * "overflows" means beyond 2^53 ms (about 285,000 years).
 */

import { int64Arg, invalidArg } from "../args.js";
import type { ExpirySpec } from "../kv.js";

const MS_MAX = Number.MAX_SAFE_INTEGER;

export function invalidExpire(command: string) {
  return invalidArg(`invalid expire time in '${command}' command`);
}

export type ExpiryUnit = "EX" | "PX" | "EXAT" | "PXAT";

/** A positive SET/GETEX/SETEX expiry argument, as an ExpirySpec. */
export function positiveExpiry(
  arg: Uint8Array,
  unit: ExpiryUnit,
  command: string,
  nowMs: number,
): ExpirySpec {
  const n = int64Arg(arg);
  if (n <= 0n) throw invalidExpire(command);
  const ms = Number(unit === "EX" || unit === "EXAT" ? n * 1000n : n);
  if (!Number.isSafeInteger(ms)) throw invalidExpire(command);
  if (unit === "EX" || unit === "PX") {
    if (nowMs + ms > MS_MAX) throw invalidExpire(command);
    return { kind: "in", ms };
  }
  return { kind: "at", atMs: ms };
}

/**
 * An EXPIRE-family time (may be zero or negative: the key is deleted), as the
 * `when` of an expire command.
 */
export function expireWhen(
  arg: Uint8Array,
  unitMs: 1 | 1000,
  absolute: boolean,
  command: string,
  nowMs: number,
): { kind: "in"; ms: number } | { kind: "at"; atMs: number } {
  const ms = Number(int64Arg(arg) * BigInt(unitMs));
  if (!Number.isSafeInteger(ms)) throw invalidExpire(command);
  if (absolute) return { kind: "at", atMs: ms };
  if (!Number.isSafeInteger(nowMs + ms)) throw invalidExpire(command);
  return { kind: "in", ms };
}
