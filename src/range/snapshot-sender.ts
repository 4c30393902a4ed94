/**
 * The leader's side of a snapshot (DESIGN.md §5): when Raft wants to send a
 * follower a snapshot (MsgSnap), the sender pins the range's applied state
 * and span in one committed state of the store (`Store.openSnapshot`), reads
 * the span as it cuts it into checksummed chunks (snapshot-codec.ts) and
 * streams them with bus calls `range.snapshot` (begin, chunk…, commit), up to
 * `SNAPSHOT_CHUNKS_IN_FLIGHT` chunks at a time (the calls of one stream go
 * over one connection, in order, and the follower takes them in order), so a
 * range of any size is sent with the memory of a few chunks. The commit call
 * returns once the follower's Raft has the snapshot, which for a big one
 * includes writing its data (span-work.ts), so its deadline grows with the
 * size. Then it reports the outcome to Raft (`reportSnapshot`), which resumes
 * replication or retries later.
 *
 * The snapshot sent may be newer than the one Raft asked for (apply moved on
 * between the two): that is safe, the follower answers with the newer index.
 * At most one snapshot per (range, follower) is in flight.
 */
import type { NodeId, RangeId } from "../lib/index.js";
import type { MsgSnap } from "../raft/index.js";
import type { SpanSnapshot, Store } from "../storage/index.js";
import type { Bus } from "../transport/index.js";
import type { HostLogger } from "./host-types.js";
import type { Replica } from "./replica.js";
import { encodeSnapshotChunks, newSnapshotCount } from "./snapshot-codec.js";

/** The bus method snapshots are streamed with. */
export const SNAPSHOT_METHOD = "range.snapshot";

/** How long one snapshot call (begin, a chunk, commit) may take. */
export const SNAPSHOT_CALL_TIMEOUT_MS = 10_000;
/** Chunk calls of one stream sent before the first of them is answered. */
export const SNAPSHOT_CHUNKS_IN_FLIGHT = 4;
/** The slowest write rate a follower's commit is allowed (its deadline grows by size ÷ this). */
const COMMIT_BYTES_PER_MS_MIN = 2 * 1024;

export type SnapshotRequest =
  | {
      readonly phase: "begin";
      readonly id: string;
      readonly rangeId: number;
      readonly term: number;
      readonly index: number;
      readonly snapTerm: number;
      readonly confState: unknown;
    }
  | {
      readonly phase: "chunk";
      readonly id: string;
      readonly seq: number;
      readonly data: Uint8Array;
      readonly crc: number;
    }
  | {
      readonly phase: "commit";
      readonly id: string;
      readonly chunks: number;
      readonly bytes: number;
      /** CRC-32C of the whole stream. */
      readonly crc: number;
    };

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
    let snap: SpanSnapshot | undefined;
    try {
      snap = this.store.openSnapshot(rangeId, replica.spans);
      const { applied } = snap;
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
      };
      await this.bus.call(to, SNAPSHOT_METHOD, begin, opts);
      const count = newSnapshotCount();
      let seq = 0;
      const inFlight: Promise<unknown>[] = [];
      for (const c of encodeSnapshotChunks(snap.entries(), count)) {
        const chunk: SnapshotRequest = { phase: "chunk", id, seq: seq++, data: c.data, crc: c.crc };
        const call = this.bus.call(to, SNAPSHOT_METHOD, chunk, opts);
        // Awaited below; a failure of one not awaited yet must not go unhandled.
        call.catch(() => {});
        inFlight.push(call);
        if (inFlight.length >= SNAPSHOT_CHUNKS_IN_FLIGHT) await inFlight.shift();
      }
      for (const call of inFlight) await call;
      const commit: SnapshotRequest = {
        phase: "commit",
        id,
        chunks: count.chunks,
        bytes: count.bytes,
        crc: count.crc,
      };
      await this.bus.call(to, SNAPSHOT_METHOD, commit, {
        timeoutMs: SNAPSHOT_CALL_TIMEOUT_MS + Math.ceil(count.bytes / COMMIT_BYTES_PER_MS_MIN),
      });
      this.log?.info(
        { rangeId, to, index: applied.index, bytes: count.bytes, keys: count.keys },
        "snapshot sent",
      );
      ok = true;
    } catch (e) {
      this.log?.warn({ rangeId, to, err: e }, "snapshot failed");
    } finally {
      // A stream cut short left its loop, which closed the store cursor first.
      snap?.release();
    }
    this.replicaOf(rangeId)?.reportSnapshot(to, ok);
  }
}
