/**
 * The contract of a `StoreHost` with the layer that composes a node (the
 * cluster layer): what it is started with, how ranges are bootstrapped and
 * reconfigured, what it reports about each range. Everything nondeterministic
 * (time, timers, randomness, the network, the disk) is injected here, so the
 * simulator runs the same host on simulated time, network and disk.
 */
import type { Clock, NodeId, RangeId, Rng, Timers } from "../lib/index.js";
import type { Store } from "../storage/index.js";
import type { Bus } from "../transport/index.js";
import type { RaftTiming, ReplicaLimits } from "./replica-options.js";
import type { SnapshotStaging } from "./snapshot-staging.js";
import type { SpanChunkLimits } from "./span-work.js";

export interface StoreHostLimits extends ReplicaLimits {
  /** Most expired keys one background deletion removes. */
  readonly expireBatchKeysMax: number;
}

/** Raft timing plus the length of one tick. */
export interface HostRaftTiming extends RaftTiming {
  /** Milliseconds per Raft tick (default 100). */
  readonly tickMs: number;
}

/**
 * TEST-ONLY switches that break Tessera on purpose, so the simulator can prove
 * it catches the bugs they cause. All off by default; never set them in a
 * running cluster.
 */
export interface TestingKnobs {
  /**
   * Treat each batch as durable as soon as its transaction ran, without
   * waiting for the fsync: writes are acknowledged, and Raft acknowledges
   * appends and votes, before what they rest on is on disk (a deliberate
   * durability bug). It bites with an engine that runs a transaction at once
   * and syncs it later (the simulator's).
   */
  readonly ackBeforeSync?: boolean;
  /**
   * Apply entries without persisting the applied index with them, so a
   * restart applies them again (a deliberate exactly-once bug).
   */
  readonly skipAppliedIndex?: boolean;
}

/** The few log lines a host writes (pino's shape, so a pino logger fits). */
export interface HostLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Resolves a node id to the address clients see for it ("" when unknown). */
export type PeerDirectory = (nodeId: NodeId) => string;

export interface StoreHostOptions {
  readonly store: Store;
  /** This node's id (default: the store identity's node id). */
  readonly nodeId?: NodeId;
  /**
   * The bus to the other nodes. Absent: a single-node cluster (no bus), which
   * bootstraps ranges 1 and 2 with this node as their only voter on a new store.
   */
  readonly bus?: Bus;
  /** Default `systemTimers`. */
  readonly timers?: Timers;
  readonly clock: Clock;
  /** Raft election timeouts and proposal ids come from here (default: seeded from the clock). */
  readonly rng?: Rng;
  readonly limits: StoreHostLimits;
  /** Default: tick 100 ms, election 10 ticks, heartbeat 1 tick. */
  readonly raftTiming?: HostRaftTiming;
  readonly knobs?: TestingKnobs;
  readonly log?: HostLogger;
  /** The store failed: the node must stop. */
  readonly onFatal: (error: unknown) => void;
  /** How long a request waits for its range to have a leader before UNAVAILABLE (default 2000). */
  readonly leaderWaitMs?: number;
  /** Log entries kept behind the slowest follower when truncating (default 10 000). */
  readonly logEntriesKeep?: number;
  /** Log bytes kept when truncating by size, once the log holds twice this (default 16 MiB). */
  readonly logBytesKeep?: number;
  /**
   * Serve linearizable reads from local state when this replica leads a group
   * it is the only voter of (default true).
   */
  readonly localReadsWhenAlone?: boolean;
  /**
   * Where snapshots being received are kept until installed (default: in
   * memory; a node keeps them as files in its data directory).
   */
  readonly snapshotStaging?: SnapshotStaging;
  /**
   * How much one transaction may write or delete when a snapshot is written
   * ahead of its install or a removed replica's data is cleared (span-work.ts;
   * the simulator makes it small so its little ranges take several).
   */
  readonly spanChunkLimits?: SpanChunkLimits;
  /**
   * How often meta reconciliation compares every replica here with the meta
   * table even when nothing changed (default 10 s; after a change it does at
   * once).
   */
  readonly metaSweepMs?: number;
  /**
   * How long a replica that holds nothing yet (made by a leader's message,
   * before its snapshot) may go without a message before it is let go
   * (default 10 s; store-host.ts `collectGarbage`).
   */
  readonly uninitializedIdleMs?: number;
  /** @deprecated use raftTiming.tickMs. */
  readonly tickMs?: number;
  /** @deprecated use raftTiming. */
  readonly timing?: RaftTiming;
  /** @deprecated use rng. */
  readonly seed?: number;
}

/** Which keys a bootstrapped range owns. */
export type RangeSpanSpec = "system" | "user";

export interface BootstrapRange {
  /** One of the ranges a cluster starts with (descriptor.ts INITIAL_RANGES). */
  readonly rangeId: RangeId;
  /** @deprecated the span follows from the range id. */
  readonly keyspaces?: RangeSpanSpec;
  readonly voters: readonly NodeId[];
}

/** One membership change of `changeReplicas`. */
export interface ReplicaChange {
  /**
   * add-voter: learner first, promoted once caught up; add-learner: a
   * non-voting replica; remove: drops a voter or learner.
   */
  readonly type: "add-voter" | "add-learner" | "remove";
  readonly nodeId: NodeId;
}

export interface RangeProgress {
  readonly nodeId: NodeId;
  readonly match: number;
  readonly next: number;
  /** "probe" | "replicate" | "snapshot". */
  readonly state: string;
  readonly recentActive: boolean;
}

/** What this node knows of one range it hosts; `progress` is filled on the leader only. */
export interface RangeInfo {
  readonly rangeId: RangeId;
  /** 0 when no leader is known. */
  readonly leaderId: NodeId;
  readonly term: number;
  readonly role: "leader" | "follower" | "candidate" | "learner" | "unknown";
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /** Non-empty only during a joint configuration. */
  readonly votersOutgoing: readonly NodeId[];
  readonly progress: readonly RangeProgress[];
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
}
