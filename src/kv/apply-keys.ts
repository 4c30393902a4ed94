/**
 * Write commands on keys of any type: DEL, RENAME/RENAMENX, COPY, the EXPIRE
 * family, PERSIST, FLUSHDB/FLUSHALL and the background `expire-due`, with the
 * semantics and replies of Redis 7's db.c and expire.c (`delGenericCommand`,
 * `renameGenericCommand`, `copyCommand`, `expireGenericCommand`,
 * `persistCommand`, `flushdbCommand`).
 */

import type { KeyspaceId } from "../lib/index.js";
import {
  allDataBounds,
  counterBounds,
  counterKey,
  equalBytes,
  expiryIndexBounds,
  keyspaceBounds,
  SYSTEM_KEYSPACE_ID,
} from "../lib/index.js";
import type { KvWriter } from "../storage/types.js";
import type { WriteCommand } from "./command.js";
import { invalidExpireTime, NO_SUCH_KEY, SAME_OBJECT } from "./errors.js";
import type { KvReply } from "./reply.js";
import { int, OK } from "./reply.js";
import type { WriteSession } from "./state.js";

type Cmd<Op extends WriteCommand["op"]> = Extract<WriteCommand, { op: Op }>;

export function applyDel(s: WriteSession, cmd: Cmd<"del">): KvReply {
  let deleted = 0;
  for (const key of cmd.keys) if (s.delete(cmd.ks, key)) deleted++;
  return int(deleted);
}

/** RENAME keeps the value's type and TTL; renaming a key onto itself is a no-op. */
export function applyRename(s: WriteSession, cmd: Cmd<"rename">): KvReply {
  const src = s.get(cmd.ks, cmd.src);
  if (src === undefined) return NO_SUCH_KEY;
  if (equalBytes(cmd.src, cmd.dst)) return cmd.nx ? int(0) : OK;
  const dst = s.get(cmd.ks, cmd.dst);
  if (dst !== undefined && cmd.nx) return int(0);
  const value = { type: src.type, expiresAtMs: src.expiresAtMs, payload: src.payload.slice() };
  s.delete(cmd.ks, cmd.src);
  s.put(cmd.ks, cmd.dst, value);
  return cmd.nx ? int(1) : OK;
}

/** COPY keeps the TTL; without REPLACE an existing destination wins (reply 0). */
export function applyCopy(s: WriteSession, cmd: Cmd<"copy">): KvReply {
  if (cmd.ks === cmd.dstKs && equalBytes(cmd.src, cmd.dst)) return SAME_OBJECT;
  const src = s.get(cmd.ks, cmd.src);
  if (src === undefined) return int(0);
  const dst = s.get(cmd.dstKs, cmd.dst);
  if (dst !== undefined && !cmd.replace) return int(0);
  s.put(cmd.dstKs, cmd.dst, {
    type: src.type,
    expiresAtMs: src.expiresAtMs,
    payload: src.payload.slice(),
  });
  return int(1);
}

/**
 * EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT with NX/XX/GT/LT. A key without a TTL
 * counts as having an infinite one: GT never holds for it, LT always does.
 * The condition is checked before a past time deletes the key (reply 1).
 */
export function applyExpire(s: WriteSession, cmd: Cmd<"expire">): KvReply {
  const atMs = cmd.when.kind === "in" ? s.nowMs + cmd.when.ms : cmd.when.atMs;
  if (!Number.isSafeInteger(atMs)) return invalidExpireTime("expire");
  const old = s.get(cmd.ks, cmd.key);
  if (old === undefined) return int(0);
  const current = old.expiresAtMs; // 0: no TTL (infinite)
  switch (cmd.cond) {
    case "always":
      break;
    case "nx":
      if (current !== 0) return int(0);
      break;
    case "xx":
      if (current === 0) return int(0);
      break;
    case "gt":
      if (current === 0 || atMs <= current) return int(0);
      break;
    case "lt":
      if (current !== 0 && atMs >= current) return int(0);
      break;
  }
  if (atMs <= s.nowMs) s.delete(cmd.ks, cmd.key);
  else s.put(cmd.ks, cmd.key, { type: old.type, expiresAtMs: atMs, payload: old.payload.slice() });
  return int(1);
}

export function applyPersist(s: WriteSession, cmd: Cmd<"persist">): KvReply {
  const old = s.get(cmd.ks, cmd.key);
  if (old === undefined || old.expiresAtMs === 0) return int(0);
  s.put(cmd.ks, cmd.key, { type: old.type, expiresAtMs: 0, payload: old.payload.slice() });
  return int(1);
}

/** FLUSHDB / FLUSHALL: data, expiry index and counters go together. */
export function applyFlush(w: KvWriter, ks: KeyspaceId | undefined): KvReply {
  if (ks === undefined) {
    // FLUSHALL deletes every user keyspace, never the system one. The system
    // keyspace has the largest id, so in each area (data of both modes, expiry
    // index, counters) the user keyspaces are everything before it.
    const data = allDataBounds();
    const sysHash = keyspaceBounds(SYSTEM_KEYSPACE_ID, "hash");
    const sysRange = keyspaceBounds(SYSTEM_KEYSPACE_ID, "range");
    w.deleteRange(data.start, sysHash.start);
    w.deleteRange(sysHash.end, sysRange.start);
    const index = expiryIndexBounds(undefined);
    w.deleteRange(index.start, expiryIndexBounds(SYSTEM_KEYSPACE_ID).start);
    const counters = counterBounds();
    w.deleteRange(counters.start, counterKey(SYSTEM_KEYSPACE_ID));
    return OK;
  }
  for (const mode of ["hash", "range"] as const) {
    const data = keyspaceBounds(ks, mode);
    w.deleteRange(data.start, data.end);
  }
  const index = expiryIndexBounds(ks);
  w.deleteRange(index.start, index.end);
  w.delete(counterKey(ks));
  return OK;
}

/** Deletes each listed key that is still expired at the entry's stamp; replies the count. */
export function applyExpireDue(s: WriteSession, cmd: Cmd<"expire-due">): KvReply {
  let deleted = 0;
  for (const key of cmd.keys) if (s.deleteIfExpired(cmd.ks, key)) deleted++;
  return int(deleted);
}
