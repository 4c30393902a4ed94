/**
 * Keyspace commands (Redis db.c and expire.c): DEL UNLINK EXISTS TYPE KEYS SCAN
 * RANDOMKEY RENAME RENAMENX COPY DBSIZE FLUSHDB FLUSHALL TOUCH, and the expiry
 * family EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL PERSIST EXPIRETIME
 * PEXPIRETIME. Option errors use Redis's texts and precedence (options are
 * checked before the time argument, as `expireGenericCommand` does).
 */
import { keyspaceId } from "../../../lib/index.js";
import { intArg, invalidArg, optionArg, textArg } from "../args.js";
import type { CommandContext, Handler } from "../command-spec.js";
import { syntaxError } from "../errors.js";
import type { ExpireCondition } from "../kv.js";
import { ksOf, readReply, writeReply } from "../kv.js";
import { expireWhen } from "./expiry-args.js";

const keysOf = (ctx: CommandContext): Buffer[] => ctx.args.slice(1);

const del: Handler = (ctx) => writeReply(ctx, { op: "del", ks: ksOf(ctx), keys: keysOf(ctx) });
const exists: Handler = (ctx) => readReply(ctx, { op: "exists", ks: ksOf(ctx), keys: keysOf(ctx) });
const touch: Handler = (ctx) => readReply(ctx, { op: "touch", ks: ksOf(ctx), keys: keysOf(ctx) });
const type: Handler = (ctx) =>
  readReply(ctx, { op: "type", ks: ksOf(ctx), key: ctx.args[1] as Buffer });
const keys: Handler = (ctx) =>
  readReply(ctx, { op: "keys", ks: ksOf(ctx), pattern: ctx.args[1] as Buffer });
const dbsize: Handler = (ctx) => readReply(ctx, { op: "dbsize", ks: ksOf(ctx) });

/** SCAN's default COUNT, as Redis. */
const SCAN_COUNT_DEFAULT = 10;

const scan: Handler = (ctx) => {
  const { args } = ctx;
  const cursor = textArg(args[1] as Buffer);
  let match: Buffer | undefined;
  let count = SCAN_COUNT_DEFAULT;
  let typeName: string | undefined;
  for (let i = 2; i < args.length; i += 2) {
    const opt = optionArg(args[i] as Buffer);
    const value = args[i + 1];
    if (value === undefined) throw syntaxError();
    if (opt === "COUNT") {
      count = intArg(value);
      if (count < 1) throw syntaxError();
    } else if (opt === "MATCH") match = value;
    else if (opt === "TYPE") typeName = textArg(value).toLowerCase();
    else throw syntaxError();
  }
  return readReply(ctx, { op: "scan", ks: ksOf(ctx), cursor, match, count, type: typeName });
};

const randomkey: Handler = (ctx) =>
  readReply(ctx, { op: "randomkey", ks: ksOf(ctx), seed: Math.floor(Math.random() * 0x7fffffff) });

function renameLike(nx: boolean): Handler {
  return (ctx) =>
    writeReply(ctx, {
      op: "rename",
      ks: ksOf(ctx),
      src: ctx.args[1] as Buffer,
      dst: ctx.args[2] as Buffer,
      nx,
    });
}

const copy: Handler = (ctx) => {
  const { args } = ctx;
  let dstKs = ksOf(ctx);
  let replace = false;
  for (let i = 3; i < args.length; i++) {
    const opt = optionArg(args[i] as Buffer);
    if (opt === "REPLACE") replace = true;
    else if (opt === "DB" && i + 1 < args.length) {
      const db = intArg(args[++i] as Buffer);
      if (db < 0 || db >= ctx.server.databases) throw invalidArg("DB index is out of range");
      dstKs = keyspaceId(db);
    } else throw syntaxError();
  }
  return writeReply(ctx, {
    op: "copy",
    ks: ksOf(ctx),
    src: args[1] as Buffer,
    dst: args[2] as Buffer,
    dstKs,
    replace,
  });
};

/** FLUSHDB/FLUSHALL [ASYNC|SYNC]: both modes are accepted; a flush is one log entry either way. */
function flush(all: boolean): Handler {
  return (ctx) => {
    const { args } = ctx;
    if (args.length > 2) throw syntaxError();
    if (args.length === 2) {
      const mode = optionArg(args[1] as Buffer);
      if (mode !== "ASYNC" && mode !== "SYNC") throw syntaxError();
    }
    return writeReply(ctx, { op: "flush", ks: all ? undefined : ksOf(ctx) });
  };
}

/** Redis's parseExtendedExpireArgumentsOrReply. */
function expireCondition(args: readonly Buffer[]): ExpireCondition {
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  for (let j = 3; j < args.length; j++) {
    const opt = optionArg(args[j] as Buffer);
    if (opt === "NX") nx = true;
    else if (opt === "XX") xx = true;
    else if (opt === "GT") gt = true;
    else if (opt === "LT") lt = true;
    else throw invalidArg(`Unsupported option ${textArg(args[j] as Buffer)}`);
  }
  if (nx && (xx || gt || lt))
    throw invalidArg("NX and XX, GT or LT options at the same time are not compatible");
  if (gt && lt) throw invalidArg("GT and LT options at the same time are not compatible");
  return nx ? "nx" : xx ? (gt ? "gt" : lt ? "lt" : "xx") : gt ? "gt" : lt ? "lt" : "always";
}

function expire(command: string, unitMs: 1 | 1000, absolute: boolean): Handler {
  return (ctx) => {
    const cond = expireCondition(ctx.args);
    const when = expireWhen(ctx.args[2] as Buffer, unitMs, absolute, command, ctx.server.nowMs());
    return writeReply(ctx, { op: "expire", ks: ksOf(ctx), key: ctx.args[1] as Buffer, when, cond });
  };
}

function ttl(form: "ttl" | "pttl" | "expiretime" | "pexpiretime"): Handler {
  return (ctx) => readReply(ctx, { op: "ttl", ks: ksOf(ctx), key: ctx.args[1] as Buffer, form });
}

const persist: Handler = (ctx) =>
  writeReply(ctx, { op: "persist", ks: ksOf(ctx), key: ctx.args[1] as Buffer });

export const KEY_HANDLERS: Readonly<Record<string, Handler>> = {
  del,
  unlink: del,
  exists,
  type,
  keys,
  scan,
  randomkey,
  rename: renameLike(false),
  renamenx: renameLike(true),
  copy,
  dbsize,
  flushdb: flush(false),
  flushall: flush(true),
  touch,
  expire: expire("expire", 1000, false),
  pexpire: expire("pexpire", 1, false),
  expireat: expire("expireat", 1000, true),
  pexpireat: expire("pexpireat", 1, true),
  ttl: ttl("ttl"),
  pttl: ttl("pttl"),
  expiretime: ttl("expiretime"),
  pexpiretime: ttl("pexpiretime"),
  persist,
};
