/**
 * `ReplicatedKvService`: the `KvService` the protocol servers are given,
 * over this store's replicas. Today every key belongs to range 1, which this
 * node hosts; routing a command to the range that owns its keys (and
 * forwarding to that range's leader) belongs here, behind the same interface.
 */
import { type KvReply, keyspaceStats, type ReadCommand, type WriteCommand } from "../kv/index.js";
import { META_RANGE_ID, type NodeId, TesseraError } from "../lib/index.js";
import type { LmdbStore } from "../storage/index.js";
import type { Replica } from "./replica.js";
import type { StoreScheduler } from "./scheduler.js";
import type {
  KeyspaceStats,
  KvService,
  ReadConsistency,
  ReplicaProgress,
  ServiceStatus,
  WriteResult,
} from "./types.js";

/** How often WAIT looks at follower progress. */
const WAIT_POLL_MS = 10;

export class ReplicatedKvService implements KvService {
  constructor(
    private readonly nodeId: NodeId,
    private readonly store: LmdbStore,
    private readonly scheduler: StoreScheduler,
  ) {}

  write(cmd: WriteCommand): Promise<WriteResult> {
    return this.replicaFor().write(cmd);
  }

  read(cmd: ReadCommand, consistency: ReadConsistency): Promise<KvReply> {
    return this.replicaFor().read(cmd, consistency);
  }

  async waitForReplicas(index: number, numReplicas: number, timeoutMs: number): Promise<number> {
    const replica = this.replicaFor();
    const count = () => replica.followerProgress().filter((p) => p.match >= index).length;
    const others = replica.followerProgress().length;
    const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
    // Nobody else can ever hold the entry when there is no one else.
    while (others > 0 && count() < numReplicas && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
    }
    return count();
  }

  keyspaceStats(): readonly KeyspaceStats[] {
    return keyspaceStats(this.store.kvView());
  }

  status(): ServiceStatus {
    const replica = this.replicaFor();
    const store = this.store.stats();
    const replicas: ReplicaProgress[] = replica
      .followerProgress()
      .map((p) => ({ nodeId: p.nodeId, address: "", matchIndex: p.match, state: p.state }));
    return {
      nodeId: this.nodeId,
      role: roleOf(replica),
      leaderId: replica.leaderId,
      term: replica.term,
      commitIndex: replica.commitIndex,
      appliedIndex: replica.appliedIndex,
      replicas,
      storeBytes: store.storeBytes,
      writesTotal: replica.writesAppliedTotal,
      lastSyncAtMs: store.lastSyncAtMs,
    };
  }

  private replicaFor(): Replica {
    const replica = this.scheduler.replica(META_RANGE_ID);
    if (!replica) throw new TesseraError("UNAVAILABLE", "this node hosts no replica of range 1");
    return replica;
  }
}

function roleOf(replica: Replica): ServiceStatus["role"] {
  switch (replica.raftState) {
    case "leader":
      return "leader";
    case "follower":
      return "follower";
    case "candidate":
    case "pre-candidate":
      return "candidate";
    default:
      return "unknown";
  }
}
