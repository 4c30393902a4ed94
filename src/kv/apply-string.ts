/**
 * Write commands on string values: SET, MSET/MSETNX, GETDEL, GETEX, INCRBY,
 * INCRBYFLOAT, APPEND, SETRANGE, with the semantics and replies of Redis 7's
 * t_string.c (`setGenericCommand`, `msetGenericCommand`, `getexCommand`,
 * `incrDecrCommand`, `incrbyfloatCommand`, `appendCommand`, `setrangeCommand`).
 *
 * Each function validates everything first and writes only when it will
 * succeed, so an error reply leaves the state as it was (apart from the lazy
 * reclamation of expired keys, which changes nothing visible).
 */
import type { KeyspaceId, ValueRecord } from "../lib/index.js";
import type { ExpirySpec, WriteCommand } from "./command.js";
import {
  invalidExpireTime,
  NAN_OR_INFINITY,
  NOT_FLOAT,
  NOT_INTEGER,
  OFFSET_OUT_OF_RANGE,
  OVERFLOW,
  STRING_TOO_LONG,
  WRONG_TYPE,
} from "./errors.js";
import { resolveExpiry } from "./expiry.js";
import { STRING_BYTES_MAX } from "./limits.js";
import {
  addLongDoubles,
  asciiBytes,
  formatInt64,
  INT64_MAX,
  INT64_MIN,
  parseInt64,
  parseLongDouble,
} from "./numbers.js";
import type { KvReply } from "./reply.js";
import { bulk, int, NIL, OK } from "./reply.js";
import type { WriteSession } from "./state.js";

type Cmd<Op extends WriteCommand["op"]> = Extract<WriteCommand, { op: Op }>;

const EMPTY = new Uint8Array(0);

/**
 * Stores a string at `key` with the expiry `spec` asks for (resolved against
 * the key's current expiry); an already-past expiry deletes the key instead.
 * Returns an error reply only for an expiry time that overflows.
 */
function storeString(
  s: WriteSession,
  ks: KeyspaceId,
  key: Uint8Array,
  payload: Uint8Array,
  spec: ExpirySpec,
  old: ValueRecord | undefined,
  command: string,
): KvReply | undefined {
  const expiry = resolveExpiry(spec, s.nowMs, old?.expiresAtMs ?? 0);
  if (expiry.kind === "invalid") return invalidExpireTime(command);
  if (expiry.kind === "expired") s.delete(ks, key);
  else s.put(ks, key, { type: "string", expiresAtMs: expiry.atMs, payload });
  return undefined;
}

export function applySet(s: WriteSession, cmd: Cmd<"set">): KvReply {
  const old = s.get(cmd.ks, cmd.key);
  if (cmd.get && old !== undefined && old.type !== "string") return WRONG_TYPE;
  // The old value is copied out only for SET … GET.
  const oldReply = !cmd.get || old === undefined ? NIL : bulk(old.payload.slice());
  const reply = cmd.get ? oldReply : OK;
  if (cmd.cond === "nx" && old !== undefined) return cmd.get ? oldReply : NIL;
  if (cmd.cond === "xx" && old === undefined) return NIL;
  return storeString(s, cmd.ks, cmd.key, cmd.value, cmd.expiry, old, "set") ?? reply;
}

export function applyMset(s: WriteSession, cmd: Cmd<"mset">): KvReply {
  if (cmd.nx && cmd.pairs.some(([key]) => s.get(cmd.ks, key) !== undefined)) return int(0);
  for (const [key, value] of cmd.pairs)
    s.put(cmd.ks, key, { type: "string", expiresAtMs: 0, payload: value });
  return cmd.nx ? int(1) : OK;
}

export function applyGetdel(s: WriteSession, cmd: Cmd<"getdel">): KvReply {
  const old = s.get(cmd.ks, cmd.key);
  if (old === undefined) return NIL;
  if (old.type !== "string") return WRONG_TYPE;
  const reply = bulk(old.payload.slice());
  s.delete(cmd.ks, cmd.key);
  return reply;
}

/** GETEX: with no option (`none`) or `keep` the TTL is left as it is. */
export function applyGetex(s: WriteSession, cmd: Cmd<"getex">): KvReply {
  const old = s.get(cmd.ks, cmd.key);
  if (old === undefined) return NIL;
  if (old.type !== "string") return WRONG_TYPE;
  const reply = bulk(old.payload.slice());
  const spec: ExpirySpec = cmd.expiry.kind === "none" ? { kind: "keep" } : cmd.expiry;
  if (spec.kind === "keep" || (spec.kind === "persist" && old.expiresAtMs === 0)) return reply;
  return storeString(s, cmd.ks, cmd.key, old.payload.slice(), spec, old, "getex") ?? reply;
}

export function applyIncrby(s: WriteSession, cmd: Cmd<"incrby">): KvReply {
  const old = s.get(cmd.ks, cmd.key);
  if (old !== undefined && old.type !== "string") return WRONG_TYPE;
  const current = old === undefined ? 0n : parseInt64(old.payload);
  if (current === undefined) return NOT_INTEGER;
  const next = current + cmd.delta;
  if (next < INT64_MIN || next > INT64_MAX) return OVERFLOW;
  s.put(cmd.ks, cmd.key, {
    type: "string",
    expiresAtMs: old?.expiresAtMs ?? 0,
    payload: formatInt64(next),
  });
  return int(next);
}

export function applyIncrbyfloat(s: WriteSession, cmd: Cmd<"incrbyfloat">): KvReply {
  const old = s.get(cmd.ks, cmd.key);
  if (old !== undefined && old.type !== "string") return WRONG_TYPE;
  const current = old === undefined ? 0 : parseLongDouble(old.payload);
  if (current === undefined) return NOT_FLOAT;
  const sum = addLongDoubles(current, cmd.delta);
  if (sum === undefined) return NAN_OR_INFINITY;
  const text = asciiBytes(sum);
  s.put(cmd.ks, cmd.key, { type: "string", expiresAtMs: old?.expiresAtMs ?? 0, payload: text });
  return bulk(text);
}

export function applyAppend(s: WriteSession, cmd: Cmd<"append">): KvReply {
  const old = s.get(cmd.ks, cmd.key);
  if (old !== undefined && old.type !== "string") return WRONG_TYPE;
  const before = old?.payload ?? EMPTY;
  const length = before.length + cmd.value.length;
  if (length > STRING_BYTES_MAX) return STRING_TOO_LONG;
  const payload = new Uint8Array(length);
  payload.set(before);
  payload.set(cmd.value, before.length);
  s.put(cmd.ks, cmd.key, { type: "string", expiresAtMs: old?.expiresAtMs ?? 0, payload });
  return int(length);
}

export function applySetrange(s: WriteSession, cmd: Cmd<"setrange">): KvReply {
  const old = s.get(cmd.ks, cmd.key);
  if (old !== undefined && old.type !== "string") return WRONG_TYPE;
  // The parser refuses a negative offset; an entry that carries one anyway gets
  // Redis's reply rather than crashing every replica that applies it.
  if (!Number.isSafeInteger(cmd.offset) || cmd.offset < 0) return OFFSET_OUT_OF_RANGE;
  const before = old?.payload ?? EMPTY;
  // An empty value changes nothing and creates nothing (Redis replies the length).
  if (cmd.value.length === 0) return int(before.length);
  if (cmd.offset + cmd.value.length > STRING_BYTES_MAX) return STRING_TOO_LONG;
  const length = Math.max(before.length, cmd.offset + cmd.value.length);
  const payload = new Uint8Array(length); // zero-padded past the old end
  payload.set(before);
  payload.set(cmd.value, cmd.offset);
  s.put(cmd.ks, cmd.key, { type: "string", expiresAtMs: old?.expiresAtMs ?? 0, payload });
  return int(length);
}
