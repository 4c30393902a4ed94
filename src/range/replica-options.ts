/**
 * What a replica is built from: its range and span, its node, its log
 * storage, the store's view of user data, injected time and randomness, its
 * Raft timing and the limits it enforces on proposals and reads.
 */
import type { Clock, HlcClock, NodeId, RangeId, Rng, Term } from "../lib/index.js";
import type { KvView, LogPosition, RangeLogStorage } from "../storage/index.js";
import type { TestingKnobs } from "./host-types.js";
import type { AppliedMerge, AppliedSplit } from "./replica.js";

export interface ReplicaLimits {
  /** Most writes (and most linearizable reads) waiting at once; past it: LIMIT_EXCEEDED. */
  readonly proposalsPendingMax: number;
  /** Largest proposal (encoded command) in bytes; past it: LIMIT_EXCEEDED. */
  readonly proposalBytesMax: number;
  /** A write not applied within this many ms fails with TIMEOUT. */
  readonly proposalTimeoutMs: number;
  /** A linearizable read not served within this many ms fails with TIMEOUT. */
  readonly readTimeoutMs: number;
}

export interface RaftTiming {
  /** Ticks without a leader before a follower campaigns (randomized up to twice this). */
  readonly electionTick: number;
  /** Ticks between a leader's heartbeats. */
  readonly heartbeatTick: number;
}

export const DEFAULT_RAFT_TIMING: RaftTiming = { electionTick: 10, heartbeatTick: 1 };

export interface ReplicaOptions {
  readonly rangeId: RangeId;
  readonly nodeId: NodeId;
  readonly log: RangeLogStorage;
  readonly view: KvView;
  readonly clock: Clock;
  readonly hlc: HlcClock;
  readonly rng: Rng;
  readonly limits: ReplicaLimits;
  readonly timing: RaftTiming;
  /** Asks the scheduler to process this replica's work soon. */
  readonly wake: () => void;
  /** Runs the ticks the clock says are due (scheduler.ts `catchUp`): before a lease is relied on. */
  readonly catchUpTicks: () => void;
  /**
   * Where the log of a replica of this range destroyed on this node before
   * reached: this one votes no lower (storage removed-ranges.ts).
   */
  readonly voteFloor?: LogPosition;
  /**
   * Set when this node's replica applied its own removal while it led and
   * had not finished lingering when the process stopped: the term of that
   * removal (storage removed-ranges.ts). The replica lingers again.
   */
  readonly lingeringTerm?: Term;
  /**
   * Log entries kept behind the applied index (and the slowest healthy
   * follower) when the log is truncated (default 10 000).
   */
  readonly logEntriesKeep?: number;
  /**
   * Bytes of log kept behind the applied index when the log is truncated by
   * size, which it is once it holds twice this (default 16 MiB): a log of big
   * values would otherwise grow to `logEntriesKeep` of them.
   */
  readonly logBytesKeep?: number;
  /**
   * Serve linearizable reads from local state when this replica leads a group
   * it is the only voter of (default true); false takes a read index always.
   */
  readonly localReadsWhenAlone?: boolean;
  readonly knobs?: TestingKnobs;
  /**
   * Called after the batch that applied a split of this range is durable:
   * the right-hand range's state exists in the store and must be started.
   */
  readonly onSplit?: (split: AppliedSplit) => void;
  /**
   * Called once the transaction that applied a merge into this range ran,
   * before it is durable: the absorbed range's Raft state is gone from what
   * the store shows, so its replica must stop at once.
   */
  readonly onMergeRan?: (merge: AppliedMerge) => void;
  /** Called after the batch that applied a merge into this range is durable. */
  readonly onMerge?: (merge: AppliedMerge) => void;
  /** The replica's descriptor or members may have changed (the range cache refreshes). */
  readonly onShapeChange?: () => void;
  /** The replica's Raft role or the leader it knows changed. */
  readonly onLeaderChange?: () => void;
}
