/**
 * `executeRead`: read commands against a consistent view, with Redis 7's
 * replies (t_string.c `getCommand`, `mgetCommand`, `strlenCommand`,
 * `getrangeCommand`; db.c `existsCommand`, `typeCommand`, `dbsizeCommand`;
 * expire.c `ttlGenericCommand`). Expired keys are invisible at `ctx.nowMs`.
 * Reads never write, so any replica may serve them at the consistency level
 * the caller chose.
 */
import { assertNever } from "../lib/index.js";
import type { KvView } from "../storage/types.js";
import type { ReadCommand } from "./command.js";
import type { ReadContext } from "./context.js";
import { readCounters } from "./counters.js";
import { WRONG_TYPE } from "./errors.js";
import type { KvReply } from "./reply.js";
import { array, bulk, int, NIL, status } from "./reply.js";
import { executeKeys, executeRandomkey, executeScan } from "./scan.js";
import { ReadSession } from "./state.js";

type Cmd<Op extends ReadCommand["op"]> = Extract<ReadCommand, { op: Op }>;

const EMPTY_BULK: KvReply = bulk(new Uint8Array(0));

export function executeRead(cmd: ReadCommand, ctx: ReadContext, v: KvView): KvReply {
  const s = ReadSession.of(v, ctx);
  switch (cmd.op) {
    case "get": {
      const r = s.get(cmd.ks, cmd.key);
      if (r === undefined) return NIL;
      return r.type === "string" ? bulk(r.payload.slice()) : WRONG_TYPE;
    }
    case "mget":
      return array(
        cmd.keys.map((key) => {
          const r = s.get(cmd.ks, key);
          return r !== undefined && r.type === "string" ? bulk(r.payload.slice()) : NIL;
        }),
      );
    case "exists":
    case "touch":
      // Each occurrence counts: EXISTS k k is 2 when k exists.
      return int(cmd.keys.filter((key) => s.get(cmd.ks, key) !== undefined).length);
    case "type":
      return status(s.get(cmd.ks, cmd.key)?.type ?? "none");
    case "strlen": {
      const r = s.get(cmd.ks, cmd.key);
      if (r === undefined) return int(0);
      return r.type === "string" ? int(r.payload.length) : WRONG_TYPE;
    }
    case "getrange":
      return getrange(s, cmd);
    case "ttl":
      return ttl(s, cmd);
    case "keys":
      return executeKeys(s, v, cmd);
    case "scan":
      return executeScan(s, v, cmd);
    case "randomkey":
      return executeRandomkey(s, v, cmd);
    case "dbsize":
      return int(readCounters(v, cmd.ks).keys);
    default:
      return assertNever(cmd, "read command");
  }
}

/** Redis 7 `getrangeCommand`: negative indexes count from the end; out of range clamps. */
function getrange(s: ReadSession, cmd: Cmd<"getrange">): KvReply {
  const r = s.get(cmd.ks, cmd.key);
  if (r === undefined) return EMPTY_BULK;
  if (r.type !== "string") return WRONG_TYPE;
  const length = r.payload.length;
  let { start, end } = cmd;
  if (start < 0 && end < 0 && start > end) return EMPTY_BULK;
  if (start < 0) start = length + start;
  if (end < 0) end = length + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= length) end = length - 1;
  if (start > end || length === 0) return EMPTY_BULK;
  return bulk(r.payload.slice(start, end + 1));
}

/** Redis `ttlGenericCommand`: -2 missing, -1 no expiry; seconds round to nearest. */
function ttl(s: ReadSession, cmd: Cmd<"ttl">): KvReply {
  const r = s.get(cmd.ks, cmd.key);
  if (r === undefined) return int(-2);
  if (r.expiresAtMs === 0) return int(-1);
  const absolute = cmd.form === "expiretime" || cmd.form === "pexpiretime";
  const inMs = cmd.form === "pttl" || cmd.form === "pexpiretime";
  const ms = Math.max(0, absolute ? r.expiresAtMs : r.expiresAtMs - s.nowMs);
  return int(inMs ? ms : Math.floor((ms + 500) / 1000));
}
