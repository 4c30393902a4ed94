/**
 * The seam between the protocol servers (RESP, RPC) and the replicated data:
 * `KvService`. The protocol layers parse client input into kv commands and call
 * this; they never see Raft, LMDB or ranges. Today one node serves every key
 * from one range; tomorrow the same calls route to the range that owns each
 * key, forward to its leader over the bus, and answer MOVED/CLUSTERDOWN, all
 * behind this interface.
 *
 * A write resolves only once its entry is committed on a quorum, fsynced, and
 * applied (DESIGN.md §5: "acknowledged = committed on a quorum and fsynced").
 * Operating failures reject with a `TesseraError` (UNAVAILABLE, TIMEOUT,
 * LIMIT_EXCEEDED, …); state-dependent command errors (WRONGTYPE) resolve as an
 * error reply.
 */
import type { KvReply, ReadCommand, WriteCommand } from "../kv/index.js";
import type { KeyspaceId } from "../lib/index.js";

/** DESIGN.md §5 read levels. */
export type ReadConsistency = "strong" | "quorum" | "any" | "all";
export const READ_CONSISTENCIES: readonly ReadConsistency[] = ["strong", "quorum", "any", "all"];

export interface WriteResult {
  readonly reply: KvReply;
  /** The log position the write was applied at; WAIT waits on it. */
  readonly index: number;
}

export interface KeyspaceStats {
  readonly ks: KeyspaceId;
  readonly keys: number;
  readonly expires: number;
}

export interface ReplicaProgress {
  readonly nodeId: number;
  readonly address: string;
  readonly matchIndex: number;
  readonly state: string;
}

export interface ServiceStatus {
  readonly nodeId: number;
  readonly role: "leader" | "follower" | "candidate" | "learner" | "unknown";
  readonly leaderId: number;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly replicas: readonly ReplicaProgress[];
  /** Bytes used by the store's data files. */
  readonly storeBytes: number;
  /** Writes committed since start, and the time of the last fsync (Unix ms). */
  readonly writesTotal: number;
  readonly lastSyncAtMs: number;
}

export interface KvService {
  write(cmd: WriteCommand): Promise<WriteResult>;
  read(cmd: ReadCommand, consistency: ReadConsistency): Promise<KvReply>;
  /**
   * WAIT: resolves with the number of replicas other than the leader whose log
   * holds `index`, as soon as `numReplicas` do or after `timeoutMs` (0 = wait
   * forever, as Redis). A single node has no other replicas and answers 0 at once.
   */
  waitForReplicas(index: number, numReplicas: number, timeoutMs: number): Promise<number>;
  keyspaceStats(): readonly KeyspaceStats[];
  status(): ServiceStatus;
}
