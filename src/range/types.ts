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
  /** The range whose log `index` is in (WAIT asks that range). */
  readonly rangeId?: number;
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

/** How a request finds its range's leader. */
export interface RouteOptions {
  /**
   * Answer MOVED (a TesseraError with details `{ slot, address }`, the RESP
   * address of the range's leader) instead of forwarding, when the key's range
   * is led by another node. For cluster-aware clients; single-key commands only.
   */
  readonly redirect?: boolean;
}

/**
 * One range as this node's range cache knows it (DESIGN.md §2): its span of
 * internal keys, its generation (bumped by every split and merge), its
 * replicas and the leader last seen. A view, possibly stale; the range
 * itself corrects a request routed with a stale one.
 */
export interface RangeSummary {
  readonly rangeId: number;
  /** Internal key, inclusive (lib/keys.ts). */
  readonly start: Uint8Array;
  /** Internal key, exclusive. */
  readonly end: Uint8Array;
  readonly generation: number;
  /** Voters, in id order. */
  readonly voters: readonly number[];
  readonly learners: readonly number[];
  /** 0 when unknown. */
  readonly leaderId: number;
  /** The range's start is a split made by hand: never merged into its left neighbour. */
  readonly sticky?: boolean;
}

export interface KvService {
  /**
   * Runs a write on the leader of its range. A multi-key write whose keys lie
   * in more than one range is refused with CROSSSLOT, except DEL (and UNLINK)
   * and FLUSHDB/FLUSHALL, which run range by range.
   */
  write(cmd: WriteCommand, options?: RouteOptions): Promise<WriteResult>;
  /** Runs a read; multi-key reads (MGET, EXISTS, TOUCH, KEYS, SCAN, DBSIZE, RANDOMKEY) scatter-gather. */
  read(cmd: ReadCommand, consistency: ReadConsistency, options?: RouteOptions): Promise<KvReply>;
  /** The ranges of the cluster as this node knows them, in key order. */
  ranges(): readonly RangeSummary[];
  /**
   * WAIT: resolves with the number of replicas other than the leader whose log
   * holds `index`, as soon as `numReplicas` do or after `timeoutMs` (0 = wait
   * forever, as Redis). A single node has no other replicas and answers 0 at once.
   */
  waitForReplicas(
    index: number,
    numReplicas: number,
    timeoutMs: number,
    rangeId?: number,
  ): Promise<number>;
  keyspaceStats(): readonly KeyspaceStats[];
  /** Resolves once every write answered here is durably applied (so `keyspaceStats` counts it). */
  settled(): Promise<void>;
  status(): ServiceStatus;
}
