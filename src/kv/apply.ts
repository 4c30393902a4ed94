/**
 * `applyWrite`: the deterministic heart of the key-value state machine. Given
 * a committed write command, the entry's stamp and a writer over the range's
 * state, it makes the command's writes and returns its reply.
 *
 * Invariants:
 * - Deterministic: the result (reply and written bytes) depends only on the
 *   command, the context and the state read through `w`, never on a clock,
 *   randomness or anything outside.
 * - All or nothing: a command validates before it writes, so an error reply
 *   comes with no logical change.
 * - Counters and the expiry index are updated through the same writer, in the
 *   same command, as the data (see state.ts).
 */
import { assertNever } from "../lib/index.js";
import type { KvWriter } from "../storage/types.js";
import {
  applyCopy,
  applyDel,
  applyExpire,
  applyExpireDue,
  applyFlush,
  applyPersist,
  applyRename,
} from "./apply-keys.js";
import {
  applyAppend,
  applyGetdel,
  applyGetex,
  applyIncrby,
  applyIncrbyfloat,
  applyMset,
  applySet,
  applySetrange,
} from "./apply-string.js";
import type { WriteCommand } from "./command.js";
import type { ApplyContext } from "./context.js";
import type { KvReply } from "./reply.js";
import { WriteSession } from "./state.js";

export function applyWrite(cmd: WriteCommand, ctx: ApplyContext, w: KvWriter): KvReply {
  if (cmd.op === "flush") return applyFlush(w, cmd.ks);
  const s = new WriteSession(w, ctx);
  const reply = dispatch(cmd, s);
  s.finish();
  return reply;
}

function dispatch(cmd: Exclude<WriteCommand, { op: "flush" }>, s: WriteSession): KvReply {
  switch (cmd.op) {
    case "set":
      return applySet(s, cmd);
    case "mset":
      return applyMset(s, cmd);
    case "del":
      return applyDel(s, cmd);
    case "getdel":
      return applyGetdel(s, cmd);
    case "getex":
      return applyGetex(s, cmd);
    case "incrby":
      return applyIncrby(s, cmd);
    case "incrbyfloat":
      return applyIncrbyfloat(s, cmd);
    case "append":
      return applyAppend(s, cmd);
    case "setrange":
      return applySetrange(s, cmd);
    case "rename":
      return applyRename(s, cmd);
    case "copy":
      return applyCopy(s, cmd);
    case "expire":
      return applyExpire(s, cmd);
    case "persist":
      return applyPersist(s, cmd);
    case "expire-due":
      return applyExpireDue(s, cmd);
    default:
      return assertNever(cmd, "write command");
  }
}
