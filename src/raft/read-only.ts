/**
 * The leader's queue of ReadIndex requests awaiting confirmation of its
 * leadership (thesis §6.4; etcd-io/raft read_only.go).
 *
 * With the "safe" option each request records the commit index at arrival and
 * is released once a quorum acknowledges a heartbeat carrying its context; the
 * requests queued before it are released with it, because an acknowledgement
 * of a later heartbeat also confirms leadership for every earlier request.
 *
 * Invariant: the queue and the pending map hold the same contexts, and the
 * recorded indexes are non-decreasing along the queue.
 */
import { assert, type LogIndex, type NodeId } from "../lib/index.js";
import type { ReadOnlyOption } from "./config.js";
import type { MsgReadIndex } from "./types.js";

export interface ReadIndexStatus {
  readonly req: MsgReadIndex;
  readonly index: LogIndex;
  readonly acks: Map<NodeId, boolean>;
}

/** Read contexts are compared by content; this makes a map key of one. */
export function contextKey(ctx: Uint8Array): string {
  let s = "";
  for (const b of ctx) s += String.fromCharCode(b);
  return s;
}

export class ReadOnly {
  private pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  constructor(readonly option: ReadOnlyOption) {}

  /** Queues `req`, to be answered with `index` once leadership is confirmed. */
  addRequest(index: LogIndex, req: MsgReadIndex): void {
    const key = contextKey(req.context);
    if (this.pending.has(key)) return;
    const last =
      this.queue.length > 0 ? this.pending.get(this.queue[this.queue.length - 1]!) : undefined;
    assert(
      last === undefined || last.index <= index,
      "read index requests must not go back in the log",
    );
    this.pending.set(key, { req, index, acks: new Map() });
    this.queue.push(key);
  }

  /** Records `id`'s heartbeat acknowledgement for `ctx`; returns the acks so far. */
  recvAck(id: NodeId, ctx: Uint8Array): ReadonlyMap<NodeId, boolean> | undefined {
    const rs = this.pending.get(contextKey(ctx));
    if (!rs) return undefined;
    rs.acks.set(id, true);
    return rs.acks;
  }

  /** Releases every request up to and including the one with context `ctx`. */
  advance(ctx: Uint8Array): ReadIndexStatus[] {
    const key = contextKey(ctx);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const released = this.queue.splice(0, at + 1);
    return released.map((k) => {
      const rs = this.pending.get(k)!;
      this.pending.delete(k);
      return rs;
    });
  }

  /** The context of the newest pending request, to piggyback on heartbeats. */
  lastPendingRequestCtx(): Uint8Array | undefined {
    if (this.queue.length === 0) return undefined;
    return this.pending.get(this.queue[this.queue.length - 1]!)!.req.context;
  }

  get size(): number {
    return this.queue.length;
  }
}
