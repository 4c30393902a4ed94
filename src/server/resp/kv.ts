/**
 * The RESP server's bridge to the data: issuing kv commands through
 * `KvService` with the connection's keyspace, read consistency and routing
 * (redirect or forward), recording each write's log index for WAIT, and
 * turning `KvReply` into `Reply` (error replies through the one table in
 * errors.ts).
 *
 * Routing follows Redis Cluster: a single-key command on a connection that
 * follows redirects (options.ts `RedirectMode`) answers MOVED when another
 * node leads the key's range; everything else is forwarded by the service.
 * A READONLY connection reads from the local replica (consistency "any"):
 * the service serves such a read here when this node holds a replica of the
 * key's range and redirects it otherwise, as a Redis replica after READONLY
 * serves its master's slots and redirects the rest.
 */
import type {
  ExpireCondition,
  ExpirySpec,
  KvReply,
  ReadCommand,
  WriteCommand,
} from "../../kv/index.js";
import { assertNever, type KeyspaceId, keyspaceId } from "../../lib/index.js";
import type { ReadConsistency, RouteOptions } from "../../range/types.js";
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

/** A command the table gives exactly one key position (GET, SET, INCR, …; not DEL or MGET). */
function isSingleKey(ctx: CommandContext): boolean {
  const c = ctx.command;
  return c.firstKey > 0 && c.firstKey === c.lastKey && ctx.args.length > c.firstKey;
}

/** Whether this connection is answered MOVED rather than forwarded, per the redirect mode. */
function followsRedirects(ctx: CommandContext): boolean {
  const { server, client } = ctx;
  if (server.topology === undefined || !isSingleKey(ctx)) return false;
  switch (server.redirect) {
    case "never":
      return false;
    case "always":
      return true;
    case "auto":
      return client.clusterAware;
    default:
      return assertNever(server.redirect, "redirect mode");
  }
}

/** How a command is routed: MOVED or forwarding (reads and writes alike). */
export function routeOf(ctx: CommandContext): RouteOptions {
  return { redirect: followsRedirects(ctx) };
}

/** The connection's read level: its own, or the local replica's after READONLY. */
export function readConsistency(ctx: CommandContext): ReadConsistency {
  return ctx.client.readOnly ? "any" : ctx.client.consistency;
}

/** Proposes a write; resolves with its reply once it is committed and applied. */
export async function kvWrite(ctx: CommandContext, cmd: WriteCommand): Promise<KvReply> {
  const result = await ctx.server.service.write(cmd, routeOf(ctx));
  // Log positions are per range: WAIT waits for the range of the last write.
  if (result.rangeId !== ctx.client.lastWriteRange || result.index > ctx.client.lastWriteIndex) {
    ctx.client.lastWriteIndex = result.index;
    ctx.client.lastWriteRange = result.rangeId;
  }
  return result.reply;
}

/** Serves a read at the connection's consistency level. */
export function kvRead(ctx: CommandContext, cmd: ReadCommand): Promise<KvReply> {
  return ctx.server.service.read(cmd, readConsistency(ctx), routeOf(ctx));
}

export async function writeReply(ctx: CommandContext, cmd: WriteCommand): Promise<Reply> {
  return fromKvReply(await kvWrite(ctx, cmd));
}

export async function readReply(ctx: CommandContext, cmd: ReadCommand): Promise<Reply> {
  return fromKvReply(await kvRead(ctx, cmd));
}
