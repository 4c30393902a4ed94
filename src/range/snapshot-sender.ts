/**
 * The leader's side of a snapshot (DESIGN.md §5): when Raft wants to send a
 * follower a snapshot (MsgSnap), the sender reads the range's durable applied
 * state and span data in one pass, cuts it into checksummed chunks
 * (snapshot-codec.ts) and streams them with bus calls `range.snapshot`
 * (begin, chunk…, commit), then reports the outcome to Raft
 * (`reportSnapshot`), which resumes replication or retries later.
 *
 * The snapshot sent may be newer than the one Raft asked for (apply moved on
 * between the two): that is safe, the follower answers with the newer index.
 * At most one snapshot per (range, follower) is in flight.
 */
import type { NodeId, RangeId } from "../lib/index.js";
import type { MsgSnap } from "../raft/index.js";
import type { Store } from "../storage/index.js";
import type { Bus } from "../transport/index.js";
import type { HostLogger } from "./host-types.js";
import type { Replica } from "./replica.js";
import { encodeSnapshot } from "./snapshot-codec.js";

/** The bus method snapshots are streamed with. */
export const SNAPSHOT_METHOD = "range.snapshot";

/** How long one snapshot call (begin, a chunk, commit) may take. */
export const SNAPSHOT_CALL_TIMEOUT_MS = 10_000;

export type SnapshotRequest =
  | {
      readonly phase: "begin";
      readonly id: string;
      readonly rangeId: number;
      readonly term: number;
      readonly index: number;
      readonly snapTerm: number;
      readonly confState: unknown;
      readonly chunks: number;
      readonly bytes: number;
    }
  | {
      readonly phase: "chunk";
      readonly id: string;
      readonly seq: number;
      readonly data: Uint8Array;
      readonly crc: number;
    }
  | { readonly phase: "commit"; readonly id: string; readonly crc: number };

export class SnapshotSender {
  private readonly inFlight = new Set<string>();
  private seq = 0;

  constructor(
    private readonly bus: Bus,
    private readonly store: Store,
    private readonly replicaOf: (rangeId: RangeId) => Replica | undefined,
    private readonly log: HostLogger | undefined,
  ) {}

  /** Starts streaming a snapshot of `rangeId` to `m.to` unless one is already on its way. */
  send(rangeId: RangeId, m: MsgSnap): void {
    const key = `${rangeId}:${m.to}`;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    void this.stream(rangeId, m.to, m.term).finally(() => this.inFlight.delete(key));
  }

  private async stream(rangeId: RangeId, to: NodeId, term: number): Promise<void> {
    const replica = this.replicaOf(rangeId);
    if (!replica) return;
    let ok = false;
    try {
      const { applied, entries } = this.store.readSnapshot(rangeId, replica.spans);
      const enc = encodeSnapshot(entries);
      const id = `${this.bus.localNodeId}.${rangeId}.${++this.seq}`;
      const opts = { timeoutMs: SNAPSHOT_CALL_TIMEOUT_MS };
      const begin: SnapshotRequest = {
        phase: "begin",
        id,
        rangeId,
        term,
        index: applied.index,
        snapTerm: applied.term,
        confState: applied.confState,
        chunks: enc.chunks.length,
        bytes: enc.bytes,
      };
      await this.bus.call(to, SNAPSHOT_METHOD, begin, opts);
      for (let i = 0; i < enc.chunks.length; i++) {
        const c = enc.chunks[i]!;
        const chunk: SnapshotRequest = { phase: "chunk", id, seq: i, data: c.data, crc: c.crc };
        await this.bus.call(to, SNAPSHOT_METHOD, chunk, opts);
      }
      const commit: SnapshotRequest = { phase: "commit", id, crc: enc.crc };
      await this.bus.call(to, SNAPSHOT_METHOD, commit, opts);
      ok = true;
      this.log?.info(
        { rangeId, to, index: applied.index, bytes: enc.bytes, keys: entries.length },
        "snapshot sent",
      );
    } catch (e) {
      this.log?.warn({ rangeId, to, err: e }, "snapshot failed");
    }
    this.replicaOf(rangeId)?.reportSnapshot(to, ok);
  }
}
