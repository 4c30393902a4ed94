/**
 * The RESP server's bridge to the data: issuing kv commands through
 * `KvService` with the connection's keyspace and read consistency, recording
 * each write's log index for WAIT, and turning `KvReply` into `Reply` (error
 * replies through the one table in errors.ts).
 */
import type {
  ExpireCondition,
  ExpirySpec,
  KvReply,
  ReadCommand,
  WriteCommand,
} from "../../kv/index.js";
import { assertNever, type KeyspaceId, keyspaceId } from "../../lib/index.js";
import type { CommandContext } from "./command-spec.js";
import { errorText } from "./errors.js";
import { R_NULL, R_OK, type Reply } from "./reply.js";

export type { ExpireCondition, ExpirySpec, ReadCommand, WriteCommand };

export function ksOf(ctx: CommandContext): KeyspaceId {
  return keyspaceId(ctx.client.db);
}

export function fromKvReply(r: KvReply): Reply {
  switch (r.t) {
    case "nil":
      return R_NULL;
    case "ok":
      return R_OK;
    case "status":
      return { t: "simple", v: r.v };
    case "int":
      return { t: "int", v: r.v };
    case "bulk":
      return { t: "bulk", v: r.v };
    case "array":
      return { t: "array", v: r.v.map(fromKvReply) };
    case "error":
      return { t: "error", v: errorText(r.code, r.message) };
    default:
      return assertNever(r, "kv reply");
  }
}

/** Proposes a write; resolves with its reply once it is committed and applied. */
export async function kvWrite(ctx: CommandContext, cmd: WriteCommand): Promise<KvReply> {
  const result = await ctx.server.service.write(cmd);
  if (result.index > ctx.client.lastWriteIndex) ctx.client.lastWriteIndex = result.index;
  return result.reply;
}

/** Serves a read at the connection's consistency level. */
export function kvRead(ctx: CommandContext, cmd: ReadCommand): Promise<KvReply> {
  return ctx.server.service.read(cmd, ctx.client.consistency);
}

export async function writeReply(ctx: CommandContext, cmd: WriteCommand): Promise<Reply> {
  return fromKvReply(await kvWrite(ctx, cmd));
}

export async function readReply(ctx: CommandContext, cmd: ReadCommand): Promise<Reply> {
  return fromKvReply(await kvRead(ctx, cmd));
}
