/**
 * String commands (Redis t_string.c): GET SET SETNX SETEX PSETEX GETSET GETDEL
 * GETEX MGET MSET MSETNX APPEND STRLEN GETRANGE SUBSTR SETRANGE INCR DECR INCRBY
 * DECRBY INCRBYFLOAT. Options are validated here, with Redis's precedence and
 * texts, so a malformed command never reaches the log; what depends on the
 * stored value (WRONGTYPE, not an integer) comes back from the state machine.
 */

import { isTesseraError, TesseraError } from "../../../lib/index.js";
import { floatArg, int64Arg, intArg, invalidArg, optionArg } from "../args.js";
import type { CommandContext, Handler } from "../command-spec.js";
import { arityError, NOT_FLOAT_TEXT, syntaxError } from "../errors.js";
import { type ExpirySpec, fromKvReply, ksOf, kvWrite, readReply, writeReply } from "../kv.js";
import { R_ONE, R_ZERO } from "../reply.js";
import { type ExpiryUnit, positiveExpiry } from "./expiry-args.js";

const notFloat = () => new TesseraError("NOT_FLOAT", NOT_FLOAT_TEXT.slice(4));

type ExpiryOption = "none" | "keep" | "persist" | ExpiryUnit;

interface StringOptions {
  cond: "always" | "nx" | "xx";
  get: boolean;
  expiryKind: ExpiryOption;
  /** The time argument of EX/PX/EXAT/PXAT, not yet validated. */
  expiryArg: Buffer | undefined;
}

const isTimed = (k: ExpiryOption): k is ExpiryUnit =>
  k === "EX" || k === "PX" || k === "EXAT" || k === "PXAT";

/**
 * Redis's parseExtendedStringArgumentsOrReply for SET (`forGetex` false) and
 * GETEX (`forGetex` true), from argument `from` on: the syntax only; the
 * time's value is checked by `expiryOf`.
 */
function parseStringOptions(
  args: readonly Buffer[],
  from: number,
  forGetex: boolean,
): StringOptions {
  const o: StringOptions = { cond: "always", get: false, expiryKind: "none", expiryArg: undefined };
  for (let j = from; j < args.length; j++) {
    const opt = optionArg(args[j] as Buffer);
    const next = args[j + 1];
    if (opt === "NX" && !forGetex && o.cond !== "xx") o.cond = "nx";
    else if (opt === "XX" && !forGetex && o.cond !== "nx") o.cond = "xx";
    else if (opt === "GET" && !forGetex) o.get = true;
    else if (opt === "KEEPTTL" && !forGetex && !isTimed(o.expiryKind)) o.expiryKind = "keep";
    else if (opt === "PERSIST" && forGetex && !isTimed(o.expiryKind)) o.expiryKind = "persist";
    else if (
      isTimed(opt as ExpiryOption) &&
      next !== undefined &&
      (o.expiryKind === "none" || o.expiryKind === opt)
    ) {
      o.expiryKind = opt as ExpiryUnit;
      o.expiryArg = next;
      j++;
    } else throw syntaxError();
  }
  return o;
}

/** The ExpirySpec of parsed options, validating the time (Redis getExpireMillisecondsOrReply). */
function expiryOf(ctx: CommandContext, o: StringOptions, command: string): ExpirySpec {
  if (isTimed(o.expiryKind))
    return positiveExpiry(o.expiryArg as Buffer, o.expiryKind, command, ctx.server.nowMs());
  return { kind: o.expiryKind };
}

const get: Handler = (ctx) =>
  readReply(ctx, { op: "get", ks: ksOf(ctx), key: ctx.args[1] as Buffer });

const set: Handler = (ctx) => {
  const o = parseStringOptions(ctx.args, 3, false);
  const expiry = expiryOf(ctx, o, "set");
  const [, key, value] = ctx.args as Buffer[];
  return writeReply(ctx, {
    op: "set",
    ks: ksOf(ctx),
    key: key!,
    value: value!,
    expiry,
    cond: o.cond,
    get: o.get,
  });
};

/** SETNX answers 1/0 where SET NX answers OK/nil. */
const setnx: Handler = async (ctx) => {
  const [, key, value] = ctx.args as Buffer[];
  const r = await kvWrite(ctx, {
    op: "set",
    ks: ksOf(ctx),
    key: key!,
    value: value!,
    expiry: { kind: "none" },
    cond: "nx",
    get: false,
  });
  return r.t === "ok" ? R_ONE : r.t === "nil" ? R_ZERO : fromKvReply(r);
};

function setWithTtl(unit: "EX" | "PX", command: string): Handler {
  return (ctx) => {
    const [, key, time, value] = ctx.args as Buffer[];
    const expiry = positiveExpiry(time!, unit, command, ctx.server.nowMs());
    return writeReply(ctx, {
      op: "set",
      ks: ksOf(ctx),
      key: key!,
      value: value!,
      expiry,
      cond: "always",
      get: false,
    });
  };
}

const getset: Handler = (ctx) => {
  const [, key, value] = ctx.args as Buffer[];
  return writeReply(ctx, {
    op: "set",
    ks: ksOf(ctx),
    key: key!,
    value: value!,
    expiry: { kind: "none" },
    cond: "always",
    get: true,
  });
};

const getdel: Handler = (ctx) =>
  writeReply(ctx, { op: "getdel", ks: ksOf(ctx), key: ctx.args[1] as Buffer });

/**
 * GETEX checks the time's value only once it has found a string at the key
 * (Redis getexCommand), so a bad time on a missing key still answers nil and
 * on a key of another type WRONGTYPE.
 */
const getex: Handler = async (ctx) => {
  const o = parseStringOptions(ctx.args, 2, true);
  const key = ctx.args[1] as Buffer;
  let expiry: ExpirySpec;
  try {
    expiry = expiryOf(ctx, o, "getex");
  } catch (e) {
    if (!isTesseraError(e)) throw e;
    // A GETEX that keeps the TTL writes nothing but is ordered with this
    // connection's earlier writes, so it sees the key as Redis would.
    const current = await kvWrite(ctx, {
      op: "getex",
      ks: ksOf(ctx),
      key,
      expiry: { kind: "keep" },
    });
    if (current.t === "nil" || current.t === "error") return fromKvReply(current);
    throw e;
  }
  return writeReply(ctx, { op: "getex", ks: ksOf(ctx), key, expiry });
};

const mget: Handler = (ctx) =>
  readReply(ctx, { op: "mget", ks: ksOf(ctx), keys: ctx.args.slice(1) });

function msetLike(nx: boolean): Handler {
  return (ctx) => {
    const { args } = ctx;
    if (args.length % 2 === 0) throw arityError(nx ? "msetnx" : "mset");
    const pairs: (readonly [Buffer, Buffer])[] = [];
    for (let i = 1; i < args.length; i += 2) pairs.push([args[i] as Buffer, args[i + 1] as Buffer]);
    return writeReply(ctx, { op: "mset", ks: ksOf(ctx), pairs, nx });
  };
}

const append: Handler = (ctx) =>
  writeReply(ctx, {
    op: "append",
    ks: ksOf(ctx),
    key: ctx.args[1] as Buffer,
    value: ctx.args[2] as Buffer,
  });

const strlen: Handler = (ctx) =>
  readReply(ctx, { op: "strlen", ks: ksOf(ctx), key: ctx.args[1] as Buffer });

/** GETRANGE/SUBSTR indexes are 64-bit in Redis; beyond safe integers they clamp the same way. */
function rangeIndex(arg: Buffer): number {
  const v = int64Arg(arg);
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  return Number(v > limit ? limit : v < -limit ? -limit : v);
}

const getrange: Handler = (ctx) => {
  const [, key, start, end] = ctx.args as Buffer[];
  return readReply(ctx, {
    op: "getrange",
    ks: ksOf(ctx),
    key: key!,
    start: rangeIndex(start!),
    end: rangeIndex(end!),
  });
};

const setrange: Handler = (ctx) => {
  const [, key, offsetArg, value] = ctx.args as Buffer[];
  const offset = intArg(offsetArg!);
  if (offset < 0) throw invalidArg("offset is out of range");
  return writeReply(ctx, { op: "setrange", ks: ksOf(ctx), key: key!, offset, value: value! });
};

function incrBy(delta: (ctx: CommandContext) => bigint): Handler {
  return (ctx) =>
    writeReply(ctx, { op: "incrby", ks: ksOf(ctx), key: ctx.args[1] as Buffer, delta: delta(ctx) });
}

/** DECRBY of -2^63 cannot be negated (Redis: "decrement would overflow"). */
function negated(ctx: CommandContext): bigint {
  const v = int64Arg(ctx.args[2] as Buffer);
  if (v === -(1n << 63n)) throw new TesseraError("OVERFLOW", "decrement would overflow");
  return -v;
}

const incrbyfloat: Handler = (ctx) => {
  const delta = floatArg(ctx.args[2] as Buffer, notFloat);
  return writeReply(ctx, { op: "incrbyfloat", ks: ksOf(ctx), key: ctx.args[1] as Buffer, delta });
};

export const STRING_HANDLERS: Readonly<Record<string, Handler>> = {
  get,
  set,
  setnx,
  setex: setWithTtl("EX", "setex"),
  psetex: setWithTtl("PX", "psetex"),
  getset,
  getdel,
  getex,
  mget,
  mset: msetLike(false),
  msetnx: msetLike(true),
  append,
  strlen,
  getrange,
  substr: getrange,
  setrange,
  incr: incrBy(() => 1n),
  decr: incrBy(() => -1n),
  incrby: incrBy((ctx) => int64Arg(ctx.args[2] as Buffer)),
  decrby: incrBy(negated),
  incrbyfloat,
};
