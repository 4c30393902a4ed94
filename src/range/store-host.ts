/**
 * `StoreHost`: everything a store runs — its replicas (one per range it
 * hosts, keyed by range id), their scheduler, their expirers, snapshot
 * streaming, membership changes and the routed `KvService` over them.
 *
 * Starting a host restarts every range of the store from its durable state
 * (hard state, log, applied index), so committed entries not yet applied are
 * applied again exactly once. A new cluster's first node calls `bootstrap`;
 * without a bus (a single-node cluster) ranges 1 and 2 are bootstrapped at
 * start. Ranges are bootstrapped after index `BOOTSTRAP_INDEX`, so a node
 * added later always starts from a snapshot that holds the configuration.
 *
 * With a bus, the host answers Raft traffic (creating an uninitialized
 * replica on first contact from a range's leader), snapshot streams and the
 * `range.*` / `kv.*` methods. All time, timers and randomness are injected.
 */

import {
  type Clock,
  compareBytes,
  equalBytes,
  HlcClock,
  type LogIndex,
  logIndex,
  type NodeId,
  type RangeId,
  type Rng,
  rangeDescriptorKey,
  rangeLocalBounds,
  rangeTombstoneKey,
  SeededRng,
  TesseraError,
  type Timers,
  term,
  rangeId as toRangeId,
} from "../lib/index.js";
import { type ConfState, EMPTY_CONF_STATE, type Message } from "../raft/index.js";
import type { RangeLogStorage, Store } from "../storage/index.js";
import type { Bus } from "../transport/index.js";
import {
  decodeDescriptor,
  descriptorSpans,
  encodeDescriptor,
  INITIAL_RANGES,
  META_RANGE,
  type RangeDescriptor,
  rangesOverlap,
} from "./descriptor.js";
import { type DirectoryEntry, RangeDirectory } from "./directory.js";
import { Expirer, Expirers } from "./expirer.js";
import { Forwarder, markLocal } from "./forwarding.js";
import type {
  BootstrapRange,
  PeerDirectory,
  RangeInfo,
  ReplicaChange,
  StoreHostLimits,
  StoreHostOptions,
} from "./host-types.js";
import { ReplicatedKvService } from "./kv-service.js";
import { type CounterSource, LoadMeter } from "./load-meter.js";
import { changeReplicasOnLeader } from "./membership.js";
import {
  allocateRangeIdCommand,
  deleteEntryCommand,
  lastRangeId,
  MetaTableDecoder,
  mergeDecisionCommand,
  rangeIdFromReply,
  readMergeDecisionCommand,
  readNextIdCommand,
  readTableCommands,
  sameEntry,
  writeEntryCommand,
} from "./meta-table.js";
import type { RangeOp } from "./proposal.js";
import { LIVENESS_RANGE_ID } from "./quiesce-liveness.js";
import {
  measureRange,
  type RangeLoadReport,
  RangeSizes,
  type ReplicaLoadReport,
  roleOf,
} from "./range-load.js";
import type { AppliedSplit } from "./replica.js";
import { Replica } from "./replica.js";
import { DEFAULT_RAFT_TIMING, type RaftTiming } from "./replica-options.js";
import { StoreScheduler } from "./scheduler.js";
import { type IncomingSnapshot, SnapshotReceiver } from "./snapshot-receiver.js";
import { SNAPSHOT_METHOD, SnapshotSender } from "./snapshot-sender.js";
import { MemorySnapshotStaging } from "./snapshot-staging.js";
import { type Prewritten, SpanWork } from "./span-work.js";
import { sleep, systemTimers } from "./system-timers.js";
import { BusRaftTransport, LoneNodeTransport } from "./transport.js";
import type { KvService } from "./types.js";

export type { StoreHostLimits, StoreHostOptions };

export interface StoreHostStats {
  /** Scheduler rounds: each drains the Ready of every replica with work. */
  readonly roundsTotal: number;
  readonly batchesTotal: number;
  readonly readiesTotal: number;
  /** Pauses of the scheduler after a round of many ranges' Readies (scheduler.ts). */
  readonly gatherPausesTotal: number;
  readonly keysExpiredTotal: number;
  /** Looks at a range's expiry index by the background expirers. */
  readonly expiryLooksTotal: number;
  readonly pendingWrites: number;
  readonly rangesTotal: number;
  /** Ranges asleep here: not ticked, no heartbeats (quiesce.ts). */
  readonly rangesQuiesced: number;
  /** Replica ticks over all ticks (one awake replica ticked once). */
  readonly replicaTicksTotal: number;
  /** Ticks run to catch up with the clock after a late tick timer (scheduler.ts `catchUp`). */
  readonly ticksCaughtUpTotal: number;
  /** Raft messages of ranges this node sent (node liveness pings not included). */
  readonly raftMessagesSentTotal: number;
  /** Replicas here that hold nothing yet: made by a leader's message, awaiting a snapshot. */
  readonly rangesUninitialized: number;
  /** Uninitialized replicas let go after `uninitializedIdleMs` without a message (collectGarbage). */
  readonly uninitializedDroppedTotal: number;
  /** Times the load meter sampled every range's ops counter (once a second at most). */
  readonly loadSamplesTotal: number;
}

const TICK_MS_DEFAULT = 100;
const LEADER_WAIT_MS_DEFAULT = 2000;
/** Ranges start after this index (and term), so joining replicas need a snapshot. */
export const BOOTSTRAP_INDEX = 10;
export const BOOTSTRAP_TERM = 5;
/** Longest a membership change or a leader transfer may take. */
const MEMBERSHIP_TIMEOUT_MS = 30_000;
const TRANSFER_TIMEOUT_MS = 5_000;
const CHANGE_REPLICAS_METHOD = "range.changeReplicas";
const SPLIT_METHOD = "range.split";
const RANGE_OP_METHOD = "range.op";
const RANGE_STATE_METHOD = "range.state";
/** Longest a merge waits for every replica of the right range to apply its freeze. */
const MERGE_CATCH_UP_MS = 10_000;
/** A range frozen this long without being absorbed is resolved by its leader. */
const MERGE_ABANDON_MS = 30_000;

interface RangeState {
  readonly applied: number;
  readonly frozen: boolean;
  readonly isLeader: boolean;
  readonly leaderId: number;
  readonly voters: readonly number[];
  /** Learners, and outgoing voters of a joint configuration. */
  readonly learners: readonly number[];
  readonly confChangePending: boolean;
  /** The replica's descriptor: generation and data span (internal keys). */
  readonly generation: number;
  readonly start: Uint8Array;
  readonly end: Uint8Array;
}

/** A cheap identity of a range's descriptor and members. */
function entrySignature(e: DirectoryEntry): string {
  return `${e.desc.generation}/${e.desc.sticky ? 1 : 0}/${e.voters.join(",")}/${e.learners.join(",")}/${e.leaderId ?? 0}`;
}

function sameMembers(a: DirectoryEntry, b: DirectoryEntry): boolean {
  return (
    a.learners.length === 0 &&
    b.learners.length === 0 &&
    [...a.voters].sort((x, y) => x - y).join(",") === [...b.voters].sort((x, y) => x - y).join(",")
  );
}
/** Least time between two loads of the meta table (others share the last). */
const REFRESH_MIN_MS = 50;
/** How often each node brings the meta table in step with the ranges it leads. */
const RECONCILE_INTERVAL_MS = 1000;
/** Least time between two reloads of the meta table by reconciliation. */
const META_RELOAD_MS = 5_000;
/**
 * Reconciliation looks at every replica only after a change that may call
 * for a write (a replica's shape or leader changed, a reload found an entry
 * changed), and at least this often; otherwise only at those it deferred.
 */
const RECONCILE_SWEEP_MS = 10_000;
/** Default `uninitializedIdleMs`: a member-to-be hears from its leader several times a second. */
export const UNINITIALIZED_IDLE_MS_DEFAULT = 10_000;
const TRANSFER_LEADER_METHOD = "range.transferLeader";

/** Raft messages only a range's leader sends: they may create a replica here. */
const LEADER_MESSAGES = new Set<Message["type"]>(["MsgApp", "MsgHeartbeat", "MsgSnap"]);

export class StoreHost {
  readonly service: KvService;
  readonly nodeId: NodeId;
  private readonly store: Store;
  private readonly bus: Bus | undefined;
  private readonly timers: Timers;
  private readonly clock: Clock;
  private readonly rng: Rng & { fork?: () => Rng };
  private readonly hlc = new HlcClock();
  private readonly tickMs: number;
  private readonly timing: RaftTiming;
  private readonly scheduler: StoreScheduler;
  /** Bulk writes and deletes of spans (snapshots written ahead, removed replicas' data). */
  private readonly spanWork: SpanWork;
  private readonly expirers: Expirers;
  private readonly forwarder: Forwarder;
  private readonly sender: SnapshotSender | undefined;
  private receiver: SnapshotReceiver | undefined;
  private peerDirectory: PeerDirectory = () => "";
  private peerCandidates: () => readonly NodeId[] = () => [];
  private stopped = false;
  readonly directory = new RangeDirectory({ localRanges: () => this.localEntries() }, [
    { desc: META_RANGE, voters: [], learners: [] },
  ]);
  private refreshing: Promise<void> | undefined;
  private lastRefreshMs = Number.NEGATIVE_INFINITY;
  private readonly metaDecoder = new MetaTableDecoder();
  /**
   * The local meta replica and its applied index when the table was last
   * loaded from it: while both stay, the table has not changed (every change
   * to it is an entry the meta range applies), and a reload reads nothing.
   */
  private metaLoadedAt: { readonly replica: Replica; readonly applied: number } | undefined;
  /** Each local replica's range cache entry, kept while its descriptor, configuration and leader stay. */
  private readonly entryCache = new WeakMap<
    Replica,
    {
      readonly desc: RangeDescriptor;
      readonly conf: ConfState;
      readonly leader: NodeId;
      readonly entry: DirectoryEntry;
      readonly signature: string;
    }
  >();
  private reconciling = false;
  private reconcileTimer: { cancel(): void } | undefined;
  /** Each range's ops per second (sampled on the tick; reading it changes nothing). */
  private readonly loadMeter = new LoadMeter();
  private readonly rangeSizes = new RangeSizes();
  private loadSamplesTotal = 0;
  /**
   * Per range led here: the descriptor and members last found or written
   * current in the meta table (forgotten when leadership moves, see below).
   */
  private readonly metaConfirmed = new Map<RangeId, string>();
  private lastReconcileReloadMs = Number.NEGATIVE_INFINITY;
  /** Bumped by every change that may leave the meta table behind a replica here. */
  private replicaChanges = 0;
  private reconciledChanges = -1;
  private lastReconcileSweepMs = Number.NEGATIVE_INFINITY;
  /** Ranges led here whose entry reconciliation could not settle yet (not ready, or a write failed). */
  private readonly reconcileLater = new Set<RangeId>();
  /** Replicas to check for garbage collection at the next round (they blocked a snapshot). */
  private readonly gcSuspects = new Set<RangeId>();
  private uninitializedDropped = 0;
  /** When collectGarbage last asked the meta range's leader about the replica here. */
  private lastMetaRangeGcMs = Number.NEGATIVE_INFINITY;

  private constructor(private readonly options: StoreHostOptions) {
    const { store, clock } = options;
    this.store = store;
    this.clock = clock;
    this.expirers = new Expirers(clock);
    this.bus = options.bus;
    this.timers = options.timers ?? systemTimers;
    this.nodeId = options.nodeId ?? store.identity.nodeId;
    this.rng = options.rng ?? new SeededRng(options.seed ?? (clock.nowMs() ^ this.nodeId) >>> 0);
    this.tickMs = options.raftTiming?.tickMs ?? options.tickMs ?? TICK_MS_DEFAULT;
    this.timing = options.raftTiming ?? options.timing ?? DEFAULT_RAFT_TIMING;
    store.useClock(clock);
    this.spanWork = new SpanWork(store, options.spanChunkLimits, options.log);
    const bus = this.bus;
    this.sender = bus
      ? new SnapshotSender(bus, store, (id) => this.scheduler.replica(id), options.log)
      : undefined;
    this.scheduler = new StoreScheduler(store, {
      nodeId: this.nodeId,
      tickMs: this.tickMs,
      electionTick: this.timing.electionTick,
      timers: this.timers,
      clock,
      transport: bus
        ? new BusRaftTransport(bus, (id, m) => this.sender?.send(id, m))
        : new LoneNodeTransport(),
      onFatal: options.onFatal,
      spanWork: this.spanWork,
      ...(options.knobs?.ackBeforeSync ? { commitWithoutSync: true } : {}),
      onTick: (awake) => {
        this.expirers.tick(awake);
        if (this.loadMeter.maybeSample(this.clock.monotonicMs(), this.opsCounters)) {
          this.loadSamplesTotal++;
        }
      },
      onDestroyed: (id) => {
        this.replicaChanges++;
        this.expirers.delete(id);
        this.rangeSizes.forget(id);
        this.directory.invalidate();
        options.log?.info({ rangeId: id }, "replica removed from this node");
      },
    });
    if (!bus && store.rangeIds().length === 0) {
      for (const d of INITIAL_RANGES) this.bootstrapOne(d, [this.nodeId]);
    }
    for (const id of store.rangeIds()) this.addReplica(id, store.logStorage(id));
    const deps = {
      nodeId: this.nodeId,
      bus,
      timers: this.timers,
      clock,
      leaderWaitMs: options.leaderWaitMs ?? LEADER_WAIT_MS_DEFAULT,
      replica: (id: RangeId) => this.scheduler.replica(id),
      // A range with an initialized replica here was not merged away here (a
      // merge drops the absorbed replica as it commits): only ranges without
      // one need the store's tombstone looked up, not every request.
      gone: (id: RangeId) =>
        this.scheduler.replica(id)?.isInitialized !== true && this.isMergedAway(id),
      peers: (id: RangeId) => this.peers(id),
      leaderHint: (id: RangeId) => this.directory.leaderHint(id),
      noteLeader: (id: RangeId, leader: NodeId) => this.directory.noteLeader(id, leader),
    };
    this.forwarder = new Forwarder(deps);
    const service = new ReplicatedKvService({
      ...deps,
      directory: this.directory,
      refreshDirectory: () => this.refreshDirectory(),
      store,
      replicas: () => this.scheduler.all(),
      peerDirectory: () => this.peerDirectory,
      forwardTimeoutMs: options.limits.proposalTimeoutMs + 1000,
    });
    this.service = service;
    if (bus) this.serve(bus, service);
  }

  /** Snapshots written ahead of their install, and spans cleared, since start. */
  get spanWorkCounts(): { fills: number; clears: number } {
    return this.spanWork.counts;
  }

  /** Starts the replicas of `options.store` and, with a bus, answers other nodes. */
  static start(options: StoreHostOptions): StoreHost {
    const host = new StoreHost(options);
    host.spanWork.resume();
    host.scheduler.start();
    for (const r of host.scheduler.all()) r.campaignIfAlone();
    host.reconcileTimer = host.timers.every(RECONCILE_INTERVAL_MS, () => void host.reconcileMeta());
    return host;
  }

  /**
   * Creates `ranges` on this node (the first node of a new cluster only);
   * a range that exists already is left alone.
   */
  async bootstrap(ranges: readonly BootstrapRange[]): Promise<void> {
    for (const spec of ranges) {
      if (this.store.hasRange(spec.rangeId)) continue;
      const desc = INITIAL_RANGES.find((d) => d.rangeId === spec.rangeId);
      if (desc === undefined) {
        throw new TesseraError(
          "INVALID_ARGUMENT",
          `range ${spec.rangeId} is not one a cluster starts with (${INITIAL_RANGES.map((d) => d.rangeId).join(", ")})`,
        );
      }
      this.scheduler.remove(spec.rangeId);
      this.bootstrapOne(desc, spec.voters);
      const r = this.addReplica(spec.rangeId, this.store.logStorage(spec.rangeId));
      r.campaignIfAlone();
    }
  }

  /**
   * Nodes to ask for a range's leader when this node holds no replica of it
   * (a spare, or a node still joining): the cluster layer knows them all.
   */
  setPeerCandidates(candidates: () => readonly NodeId[]): void {
    this.peerCandidates = candidates;
  }

  /** Sets how node ids map to client-facing addresses (for status and INFO). */
  setPeerDirectory(directory: PeerDirectory): void {
    this.peerDirectory = directory;
  }

  /** The ranges this node holds a (initialized) replica of, in id order. */
  rangeIds(): RangeId[] {
    return [...this.scheduler.all()]
      .filter((r) => r.isInitialized)
      .map((r) => r.rangeId)
      .sort((a, b) => a - b);
  }

  /** The ranges this node has a replica of that holds nothing yet (awaiting a snapshot). */
  uninitializedRangeIds(): RangeId[] {
    return [...this.scheduler.all()]
      .filter((r) => !r.isInitialized && !r.isClosed)
      .map((r) => r.rangeId)
      .sort((a, b) => a - b);
  }

  /** What this node knows of `rangeId`, or undefined when it holds no replica of it. */
  rangeInfo(rangeId: RangeId): RangeInfo | undefined {
    const r = this.scheduler.replica(rangeId);
    if (!r) return undefined;
    const conf = r.confState();
    const role = roleOf(r, this.nodeId);
    return {
      rangeId,
      leaderId: r.leaderId,
      term: r.term,
      role,
      voters: [...conf.voters],
      learners: [...conf.learners],
      votersOutgoing: [...conf.votersOutgoing],
      progress: [...r.progress()].map(([nodeId, pr]) => ({
        nodeId,
        match: pr.match,
        next: pr.next,
        state: pr.state,
        recentActive: pr.recentActive,
      })),
      commit: r.commitIndex,
      applied: r.appliedIndex,
      lastIndex: r.lastIndex,
    };
  }

  /**
   * Changes the replicas of `rangeId` (forwarded to its leader); resolves once
   * the final configuration is applied on the leader. See membership.ts.
   */
  changeReplicas(rangeId: RangeId, changes: readonly ReplicaChange[]): Promise<void> {
    return this.forwarder.run(rangeId, {
      idempotent: true,
      local: (r) => this.changeLocal(r, changes),
      remote: async (bus, to) => {
        await bus.call(
          to,
          CHANGE_REPLICAS_METHOD,
          { rangeId, changes: changes.map((c) => ({ type: c.type, nodeId: c.nodeId })) },
          { timeoutMs: MEMBERSHIP_TIMEOUT_MS + 1000 },
        );
      },
    });
  }

  /** Hands the leadership of `rangeId` to `to`; resolves once `to` leads. */
  transferLeader(rangeId: RangeId, to: NodeId): Promise<void> {
    return this.forwarder.run(rangeId, {
      idempotent: true,
      local: (r) => this.transferLocal(r, to),
      remote: async (bus, target) => {
        await bus.call(
          target,
          TRANSFER_LEADER_METHOD,
          { rangeId, to },
          { timeoutMs: TRANSFER_TIMEOUT_MS + 1000 },
        );
      },
    });
  }

  /** Every hosted range has a leader and has applied everything committed. */
  isReady(): boolean {
    for (const r of this.scheduler.all()) if (r.isInitialized && !r.isReady()) return false;
    return true;
  }

  /** Resolves when ready; rejects with UNAVAILABLE after `timeoutMs`. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = this.clock.monotonicMs() + timeoutMs;
    while (!this.isReady()) {
      if (this.clock.monotonicMs() > deadline) {
        throw new TesseraError("UNAVAILABLE", `ranges not ready within ${timeoutMs} ms`);
      }
      await sleep(this.timers, 5);
    }
  }

  stats(): StoreHostStats {
    const s = this.scheduler.stats();
    let pendingWrites = 0;
    let uninitialized = 0;
    for (const r of this.scheduler.all()) {
      pendingWrites += r.pendingWrites;
      if (!r.isInitialized) uninitialized++;
    }
    return {
      roundsTotal: s.roundsTotal,
      batchesTotal: s.batchesTotal,
      readiesTotal: s.readiesTotal,
      gatherPausesTotal: s.gatherPausesTotal,
      keysExpiredTotal: this.expirers.keysExpiredTotal,
      expiryLooksTotal: this.expirers.looksTotal,
      pendingWrites,
      rangesTotal: s.rangesTotal,
      rangesQuiesced: s.rangesQuiesced,
      replicaTicksTotal: s.replicaTicksTotal,
      ticksCaughtUpTotal: s.ticksCaughtUpTotal,
      raftMessagesSentTotal: s.raftMessagesSentTotal,
      rangesUninitialized: uninitialized,
      uninitializedDroppedTotal: this.uninitializedDropped,
      loadSamplesTotal: this.loadSamplesTotal,
    };
  }

  /** Lets in-flight writes finish (up to `drainMs`), then stops; the store stays open. */
  async stop(drainMs = 0): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.reconcileTimer?.cancel();
    await this.scheduler.drain(drainMs);
    // Before the replicas close: a snapshot written ahead and dropped with them stays
    // recorded, to be cleared at the next start, not cleared over a closing store.
    this.spanWork.close();
    await this.scheduler.stop();
    this.receiver?.close();
  }

  // --- internals ----------------------------------------------------------------

  private bootstrapOne(desc: RangeDescriptor, voters: readonly NodeId[]): void {
    this.store.bootstrapRange(
      desc.rangeId,
      { ...EMPTY_CONF_STATE, voters: [...voters] },
      { index: logIndex(BOOTSTRAP_INDEX), term: term(BOOTSTRAP_TERM) },
      [{ key: rangeDescriptorKey(desc.rangeId), value: encodeDescriptor(desc) }],
    );
  }

  private addReplica(id: RangeId, log: RangeLogStorage): Replica {
    const o = this.options;
    const rng = this.rng.fork ? this.rng.fork() : this.rng;
    const voteFloor = this.store.removedPosition(id);
    const lingeringTerm = this.store.lingeringTerm(id);
    const replica = new Replica({
      rangeId: id,
      nodeId: this.nodeId,
      log,
      view: this.store.kvView(),
      clock: this.clock,
      hlc: this.hlc,
      rng,
      limits: o.limits,
      timing: this.timing,
      wake: () => this.scheduler.wake(id),
      catchUpTicks: () => this.scheduler.catchUp(),
      ...(voteFloor ? { voteFloor } : {}),
      ...(lingeringTerm !== undefined ? { lingeringTerm } : {}),
      ...(o.logEntriesKeep !== undefined ? { logEntriesKeep: o.logEntriesKeep } : {}),
      ...(o.logBytesKeep !== undefined ? { logBytesKeep: o.logBytesKeep } : {}),
      ...(o.localReadsWhenAlone !== undefined
        ? { localReadsWhenAlone: o.localReadsWhenAlone }
        : {}),
      ...(o.knobs ? { knobs: o.knobs } : {}),
      onSplit: (split) => this.startSplit(replica, split),
      onMergeRan: (merge) => this.stopAbsorbed(replica, merge.right),
      onMerge: (merge) => this.finishMerge(replica, merge.right),
      onShapeChange: () => {
        this.replicaChanges++;
        this.directory.invalidate();
      },
      onLeaderChange: () => this.replicaChanges++,
    });
    this.replicaChanges++;
    this.scheduler.add(replica);
    this.directory.invalidate();
    this.expirers.add(
      id,
      (onQuiet) =>
        new Expirer(replica, this.clock, {
          intervalMs: this.tickMs,
          batchKeysMax: o.limits.expireBatchKeysMax,
          onQuiet,
        }),
    );
    return replica;
  }

  /** The local meta replica's applied index (it moves with every change to the meta table). */
  metaVersion(): number | undefined {
    const meta = this.scheduler.replica(META_RANGE.rangeId);
    return meta?.isInitialized && !meta.isClosed ? meta.appliedIndex : undefined;
  }

  /** Whether this node holds a replica of `desc`'s range with that very descriptor applied. */
  holdsCurrent(desc: RangeDescriptor): boolean {
    const r = this.scheduler.replica(desc.rangeId);
    return r !== undefined && !r.isClosed && r.descriptorIfKnown === desc;
  }

  /** Whether range `id` was merged into another range here (it never comes back). */
  isMergedAway(id: RangeId): boolean {
    return this.store.kvView().get(rangeTombstoneKey(id)) !== undefined;
  }

  /**
   * The transaction applying a merge into `left` ran here: the absorbed
   * range's replica stops at once. Its log and Raft state are gone from what
   * the store shows, though not yet durably: ticked or stepped before the
   * merge is durable (finishMerge), it read a log that was no longer there
   * (simulator, seed 28124: a campaign found its last entry missing).
   */
  private stopAbsorbed(left: Replica, right: RangeId): void {
    const r = this.scheduler.replica(right);
    if (!r) return;
    this.scheduler.remove(right);
    r.close(new TesseraError("RANGE_MISMATCH", `range ${right} was merged into ${left.rangeId}`));
  }

  /**
   * A merge into `left` is durable here: the absorbed range's replica is gone
   * (stopAbsorbed; its data is the left range's now), and any Raft state its
   * last round wrote after the merge dropped it is deleted too.
   */
  private finishMerge(left: Replica, right: RangeId): void {
    this.stopAbsorbed(left, right);
    this.expirers.delete(right);
    if (!this.stopped) this.store.dropRangeState(right);
    this.replicaChanges++;
    this.directory.invalidate();
    this.options.log?.info({ rangeId: left.rangeId, absorbed: right }, "ranges merged");
  }

  /**
   * A split of `left` is durable here: starts the right-hand range's replica
   * (replacing an uninitialized one a message may have created). The node
   * that led the left range campaigns at once, so the new range has a leader
   * without waiting for an election timeout.
   */
  private startSplit(left: Replica, split: AppliedSplit): void {
    if (this.stopped) return;
    const id = split.right.rangeId;
    const old = this.scheduler.replica(id);
    if (old?.isInitialized) return;
    if (old) {
      this.scheduler.remove(id);
      this.store.forgetRange(id);
    }
    const r = this.addReplica(id, this.store.logStorage(id));
    this.directory.invalidate();
    this.options.log?.info(
      { rangeId: left.rangeId, right: id, generation: split.right.generation },
      "range split",
    );
    if (left.raftState === "leader") r.campaign();
    r.campaignIfAlone();
  }

  /** The replica of `id`, created uninitialized when a leader contacts this node first. */
  private replicaFor(id: RangeId, first: Message["type"], commit = 0): Replica | undefined {
    const r = this.scheduler.replica(id);
    if (r || this.stopped || !LEADER_MESSAGES.has(first)) return r;
    // A heartbeat with a commit index is meant for a replica that holds the
    // log up to there: here, one since destroyed (Replica.step drops it).
    if (first === "MsgHeartbeat" && commit > 0) return undefined;
    if (this.store.hasRange(id) || this.isMergedAway(id)) return undefined;
    this.options.log?.info({ rangeId: id }, "creating an uninitialized replica");
    return this.addReplica(id, this.store.uninitializedLogStorage(id));
  }

  private serve(bus: Bus, service: ReplicatedKvService): void {
    bus.onRaft((from, id, messages) => {
      if (this.stopped || messages.length === 0) return;
      // The ticks due first: after a stop, time passed before these arrived.
      this.scheduler.catchUp();
      // Any traffic shows the sender alive; a liveness ping is nothing more.
      this.scheduler.heardFrom(from);
      if (id === LIVENESS_RANGE_ID) return;
      const first = messages[0]!;
      const r = this.replicaFor(id, first.type, first.type === "MsgHeartbeat" ? first.commit : 0);
      if (!r) return;
      for (const m of messages) r.step(m);
    });
    bus.onUnreachable((nodeId) => {
      if (this.stopped) return;
      this.scheduler.reportUnreachable(nodeId);
    });
    const receiver = new SnapshotReceiver(
      this.options.snapshotStaging ?? new MemorySnapshotStaging(),
      this.clock,
      (id, from, msgTerm, snapshot) => this.deliverSnapshot(id, from, msgTerm, snapshot),
    );
    this.receiver = receiver;
    bus.handle(SNAPSHOT_METHOD, (req, ctx) => receiver.handle(req, ctx));
    bus.handle(CHANGE_REPLICAS_METHOD, async (req) => {
      const r = req as { rangeId: number; changes: ReplicaChange[] };
      await this.changeLocal(this.leaderOf(toRangeId(r.rangeId)), r.changes);
      return true;
    });
    bus.handle(RANGE_OP_METHOD, async (req) => {
      const r = req as { rangeId: number; op: RangeOp };
      const op = r.op;
      const fixed: RangeOp =
        op.op === "merge"
          ? {
              ...op,
              rightStart: new Uint8Array(op.rightStart),
              rightEnd: new Uint8Array(op.rightEnd),
            }
          : op;
      return markLocal(this.leaderOf(toRangeId(r.rangeId)).proposeRangeOp(fixed));
    });
    bus.handle(RANGE_STATE_METHOD, async (req) => {
      const r = req as { rangeId: number };
      return this.localRangeState(toRangeId(r.rangeId)) ?? null;
    });
    bus.handle(SPLIT_METHOD, async (req) => {
      const r = req as { rangeId: number; right: number; splitKey: Uint8Array; sticky?: boolean };
      const leader = this.leaderOf(toRangeId(r.rangeId));
      const out = await leader.split(
        toRangeId(r.right),
        new Uint8Array(r.splitKey),
        leader.descriptor.generation,
        r.sticky === true,
      );
      this.directory.invalidate();
      void this.reconcileMeta();
      return { rangeId: out.right.rangeId };
    });
    bus.handle(TRANSFER_LEADER_METHOD, async (req) => {
      const r = req as { rangeId: number; to: number };
      await this.transferLocal(this.leaderOf(toRangeId(r.rangeId)), r.to as NodeId);
      return true;
    });
    service.serve(bus);
  }

  /**
   * A snapshot of range `id` arrived whole. It goes to the range's replica
   * (created uninitialized if there is none) once nothing here stands in its
   * way; the sender's commit call waits for this.
   *
   * For a replica that holds nothing yet, a snapshot larger than one span
   * transaction is first written into its span in bounded transactions
   * (span-work.ts), so the install that follows is small: moving a big range
   * here does not stop the node.
   */
  private async deliverSnapshot(
    id: RangeId,
    from: NodeId,
    msgTerm: number,
    snapshot: IncomingSnapshot,
  ): Promise<void> {
    const raw = snapshot.record(rangeDescriptorKey(id));
    const desc = raw === undefined ? undefined : decodeDescriptor(raw);
    const spans = desc ? descriptorSpans(desc) : [rangeLocalBounds(id)];
    for (;;) {
      if (this.stopped) throw new TesseraError("SHUTTING_DOWN", "the node is stopping");
      this.checkSnapshotFits(id, desc);
      // Spans being cleared (a removed replica's data) are free soon; a snapshot
      // being written or installed over the same keys is another's: retry later.
      const held = this.spanWork.overlapping(spans);
      if (held.length === 0) break;
      if (held.some((h) => h.state !== "clearing")) {
        throw new TesseraError(
          "UNAVAILABLE",
          `a snapshot of range ${held[0]!.clear.rangeId} is being installed here over the keys of range ${id}; retry later`,
        );
      }
      await Promise.all(held.map((h) => h.done));
    }
    const r = this.replicaFor(id, "MsgSnap");
    if (!r) throw new TesseraError("UNAVAILABLE", `range ${id} cannot take a snapshot here`);
    const limits = this.spanWork.limits;
    const small = snapshot.bytes < limits.bytes && snapshot.keys < limits.keys;
    if (desc === undefined || small || r.isInitialized || r.hasPendingSnapshot) {
      r.stepSnapshot(from, msgTerm, snapshot);
      return;
    }
    const wanted = () =>
      !this.stopped && this.scheduler.replica(id) === r && !r.isRemoved && !r.isClosed;
    let written: Prewritten | undefined;
    try {
      written = await this.spanWork.fill(id, spans, snapshot.entries(), wanted);
    } catch (e) {
      snapshot.discard();
      throw e;
    }
    if (written === undefined || !wanted()) {
      written?.abandon();
      snapshot.discard();
      throw new TesseraError(
        "UNAVAILABLE",
        `range ${id} changed here while its snapshot was written; retry later`,
      );
    }
    r.stepSnapshot(from, msgTerm, prewrittenSnapshot(snapshot, written));
  }

  /**
   * Throws when a snapshot of range `id` (descriptor `desc`) may not be
   * installed here now: its keys are still another replica's.
   */
  private checkSnapshotFits(id: RangeId, desc: RangeDescriptor | undefined): void {
    // A snapshot may not take keys another replica here still owns (a range
    // split elsewhere whose left side has not applied the split here yet):
    // that replica would apply older writes over it. The sender retries later.
    if (desc !== undefined) {
      for (const other of this.scheduler.all()) {
        const od = other.descriptorIfKnown;
        if (other.rangeId === id || od === undefined || !rangesOverlap(od, desc)) continue;
        if (other.frozenInto?.into === id && desc.generation > od.generation) {
          // The left range absorbed this frozen one (its newer descriptor
          // covers it): the stale copy goes first, then the snapshot is taken.
          other.markRemoved();
          throw new TesseraError(
            "UNAVAILABLE",
            `range ${other.rangeId} here was merged into ${id}; retry once it is gone`,
          );
        }
        this.gcSuspects.add(other.rangeId);
        throw new TesseraError(
          "UNAVAILABLE",
          `snapshot of range ${id} overlaps range ${other.rangeId} here; retry once it has split`,
        );
      }
      // A split applied here but not yet durable has shrunk its left range in
      // memory while its right range does not run yet: the store still holds
      // the descriptor that owns the keys (the left's old one, or the right's
      // new one), and the right range, once started, would count its keys
      // from what the snapshot wrote over them (found by the simulator, seed 1903).
      for (const owner of this.storedOwners(desc)) {
        if (owner === id) {
          // The store holds this range's own descriptor while no replica here
          // has applied state: a split applied here is creating the range, and
          // its replica starts once that is durable (startSplit). A snapshot
          // written into its span meanwhile would clear, first, the keys the
          // split just gave it, then, once the split replaced the replica it
          // was meant for, clear them again (simulator, seed 12375). (A
          // snapshot of its own being written here holds the span: see below.)
          if (this.scheduler.replica(id)?.isInitialized) continue;
          if (this.spanWork.overlapping(descriptorSpans(desc)).length > 0) continue;
          throw new TesseraError(
            "UNAVAILABLE",
            `range ${id} is being created here by a split; retry once it has started`,
          );
        }
        this.gcSuspects.add(owner);
        throw new TesseraError(
          "UNAVAILABLE",
          `snapshot of range ${id} overlaps range ${owner} in this node's store; retry once it has split`,
        );
      }
    }
  }

  /** Ranges whose descriptor, as this node's store holds it, overlaps `desc`. */
  private *storedOwners(desc: RangeDescriptor): Iterable<RangeId> {
    const view = this.store.kvView();
    for (const rid of this.store.rangeIds()) {
      const raw = view.get(rangeDescriptorKey(rid));
      if (raw !== undefined && rangesOverlap(decodeDescriptor(raw), desc)) yield rid;
    }
  }

  private leaderOf(id: RangeId): Replica {
    const r = this.scheduler.replica(id);
    if (!r) throw new TesseraError("UNAVAILABLE", `no replica of range ${id} here`);
    if (r.raftState === "leader") return r;
    if (r.leaderId === 0) throw new TesseraError("UNAVAILABLE", `range ${id} has no leader`);
    throw new TesseraError("NOT_LEADER", `range ${id} is led by node ${r.leaderId}`, {
      leader: r.leaderId,
    });
  }

  private changeLocal(r: Replica, changes: readonly ReplicaChange[]): Promise<void> {
    return changeReplicasOnLeader(this.leaderOf(r.rangeId), changes, {
      timers: this.timers,
      clock: this.clock,
      catchUpTimeoutMs: MEMBERSHIP_TIMEOUT_MS,
    });
  }

  private async transferLocal(r: Replica, to: NodeId): Promise<void> {
    const leader = this.leaderOf(r.rangeId);
    if (to === this.nodeId) return;
    leader.transferLeader(to);
    const deadline = this.clock.monotonicMs() + TRANSFER_TIMEOUT_MS;
    while (leader.leaderId !== to) {
      if (this.clock.monotonicMs() > deadline)
        throw new TesseraError("TIMEOUT", `leadership of range ${r.rangeId} did not move to ${to}`);
      await sleep(this.timers, 10);
    }
  }

  /**
   * Other nodes to ask for the leader of `rangeId`: its replicas as the range
   * cache knows them, else every node the cluster layer knows.
   */
  private peers(rangeId: RangeId): NodeId[] {
    const ids = new Set<NodeId>();
    const e = this.directory.byId(rangeId);
    if (e) for (const n of [...e.voters, ...e.learners]) if (n !== this.nodeId) ids.add(n);
    if (ids.size === 0) for (const n of this.peerCandidates()) if (n !== this.nodeId) ids.add(n);
    return [...ids];
  }

  /** The initialized replicas here, as range cache entries (authoritative for their ranges). */
  private *localEntries(): Iterable<DirectoryEntry> {
    for (const r of this.scheduler.all()) {
      const e = this.localEntry(r);
      if (e !== undefined) yield e.entry;
    }
  }

  /**
   * Replica `r` as a range cache entry with its signature; undefined before
   * its first snapshot or once closed. The same object while the replica's
   * descriptor, configuration and leader stay (all immutable values, so
   * comparing references is enough): thousands of idle ranges cost a lookup
   * each, not a rebuild.
   */
  private localEntry(
    r: Replica,
  ): { readonly entry: DirectoryEntry; readonly signature: string } | undefined {
    const desc = r.descriptorIfKnown;
    if (desc === undefined || r.isClosed) return undefined;
    const conf = r.confState();
    const leader = r.leaderId;
    const known = this.entryCache.get(r);
    if (
      known !== undefined &&
      known.desc === desc &&
      known.conf === conf &&
      known.leader === leader
    )
      return known;
    const entry: DirectoryEntry = {
      desc,
      voters: [...new Set([...conf.voters, ...conf.votersOutgoing])].sort((a, b) => a - b),
      learners: [...conf.learners].sort((a, b) => a - b),
      ...(leader !== 0 ? { leaderId: leader } : {}),
    };
    const fresh = { desc, conf, leader, entry, signature: entrySignature(entry) };
    this.entryCache.set(r, fresh);
    return fresh;
  }

  /**
   * Loads the meta table into the range cache; calls within `REFRESH_MIN_MS`
   * of the last share it. Reads the local meta replica when there is one.
   */
  refreshDirectory(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    const now = this.clock.monotonicMs();
    if (now - this.lastRefreshMs < REFRESH_MIN_MS) {
      this.directory.invalidate();
      return Promise.resolve();
    }
    this.lastRefreshMs = now;
    const meta = this.scheduler.replica(META_RANGE.rangeId);
    const local = meta?.isInitialized === true && !meta.isClosed ? meta : undefined;
    if (
      local !== undefined &&
      this.metaLoadedAt?.replica === local &&
      this.metaLoadedAt.applied === local.appliedIndex
    )
      return Promise.resolve();
    // Read at "any" from the local replica: what it applied by now, at least.
    const mark = local && { replica: local, applied: local.appliedIndex };
    this.refreshing = (async () => {
      try {
        const level = local ? "any" : "strong";
        const last = lastRangeId(await this.service.read(readNextIdCommand(), level));
        const replies = await Promise.all(
          readTableCommands(last).map((c) => this.service.read(c, level)),
        );
        const changed = this.directory.setMeta(this.metaDecoder.entriesOf(replies));
        this.metaLoadedAt = mark;
        // A range confirmed current whose entry the table no longer holds as
        // confirmed (overwritten by an older leader, or a write lost) is
        // compared and written again at the next reconciliation.
        for (const id of changed) {
          const confirmed = this.metaConfirmed.get(id);
          if (confirmed === undefined) continue;
          const known = this.directory.metaEntry(id);
          if (known === undefined || entrySignature(known) !== confirmed) {
            this.metaConfirmed.delete(id);
            this.reconcileLater.add(id);
          }
        }
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /**
   * Keeps the meta table in step with the ranges this node leads: an entry
   * that differs from the range's own descriptor and members is rewritten.
   * Runs on every node for the ranges it leads, so the table converges after
   * any split, merge or move, even one whose initiator failed midway.
   */
  private async reconcileMeta(): Promise<void> {
    if (this.reconciling || this.stopped) return;
    this.reconciling = true;
    try {
      // The table is reloaded every few seconds (and on demand by routing
      // misses); a reload unconfirms the ranges whose entry changed under them
      // (refreshDirectory). Only those are compared again: the full comparison
      // also looks for absorbed entries, a scan of the table per range.
      const now = this.clock.monotonicMs();
      if (now - this.lastReconcileReloadMs >= META_RELOAD_MS) {
        this.lastReconcileReloadMs = now;
        await this.refreshDirectory().catch(() => undefined);
      }
      await this.reconcileMerges();
      await this.collectGarbage();
      // Every replica after a change (or a while), else only the deferred ones.
      const sweep =
        this.replicaChanges !== this.reconciledChanges ||
        now - this.lastReconcileSweepMs >= (this.options.metaSweepMs ?? RECONCILE_SWEEP_MS);
      let look: Iterable<Replica>;
      if (sweep) {
        this.reconciledChanges = this.replicaChanges;
        this.lastReconcileSweepMs = now;
        this.reconcileLater.clear();
        look = this.scheduler.all();
      } else {
        look = [...this.reconcileLater].flatMap((id) => this.scheduler.replica(id) ?? []);
        this.reconcileLater.clear();
      }
      const due: { entry: DirectoryEntry; signature: string }[] = [];
      for (const r of look) {
        const local = this.localEntry(r);
        // Unchanged since this node last found or wrote it current: nothing to do.
        if (local === undefined || this.metaConfirmed.get(r.rangeId) === local.signature) continue;
        due.push(local);
      }
      // Each stays deferred until settled below: a range not ready yet (it
      // leads but committed nothing of its term), or one left when a write
      // fails and ends the round, is looked at again next round.
      for (const d of due) this.reconcileLater.add(d.entry.desc.rangeId);
      for (const { entry: e, signature } of due) {
        const r = this.scheduler.replica(e.desc.rangeId);
        if (r?.raftState !== "leader") {
          // Its leader's node writes it; should this one lead later, that is a change.
          this.reconcileLater.delete(e.desc.rangeId);
          continue;
        }
        if (!r.isReady()) continue;
        const known = this.directory.metaEntry(e.desc.rangeId);
        if (known !== undefined && known.desc.generation > e.desc.generation) continue;
        // `known` is the table as this node last loaded or wrote it: a write is
        // remembered, or a later change back to an older shape would compare
        // equal to the pre-write copy and never reach the table.
        if (known === undefined || !sameEntry(known, e)) {
          await this.service.write(writeEntryCommand(e));
          this.directory.noteMetaWritten(e);
        }
        // Then the entries of ranges this one absorbed (lower generation, inside
        // its span) go: in this order the table never leaves their keys unmapped
        // (a reader clips the older entries under the newer one meanwhile).
        for (const id of this.directory.staleMetaWithin(e.desc)) {
          await this.service.write(deleteEntryCommand(id));
          this.directory.noteMetaDeleted(id);
        }
        this.metaConfirmed.set(e.desc.rangeId, signature);
        this.reconcileLater.delete(e.desc.rangeId);
      }
    } catch (err) {
      this.options.log?.warn({ err: String(err) }, "updating the meta table failed; retrying");
    } finally {
      this.reconciling = false;
    }
  }

  /**
   * Merges range `rightId` into its left neighbour `leftId` (same members,
   * no learners: the planner moves replicas to match first):
   *
   * 1. lock the left range (a Raft entry: no membership change or split
   *    until the merge ends), so its members stay what they are;
   * 2. freeze the right range (a Raft entry: it refuses writes from then on);
   * 3. wait until every voter of it applied the freeze, with no membership
   *    change pending, so each holds its final state, and check both ranges
   *    have the same voters and no learners;
   * 4. decide in the meta range, once (SET NX `merges/<right>`): "decided"
   *    by the merger, or "aborted" by whoever gives up on a stalled merge —
   *    the first wins, so a frozen range is thawed (and the left unlocked)
   *    only if it will never be absorbed;
   * 5. propose the merge on the left range, which absorbs the right one on
   *    every replica at the same log position (Replica.applyRangeOp).
   *
   * A merge decided but not carried out (the merger failed) is finished by
   * the leaders of the two ranges (reconcileMerges).
   */
  async merge(leftId: RangeId, rightId: RangeId): Promise<void> {
    await this.refreshDirectory().catch(() => undefined);
    const left = this.directory.byId(leftId);
    const right = this.directory.byId(rightId);
    if (left === undefined || right === undefined)
      throw new TesseraError("UNAVAILABLE", `ranges ${leftId} and ${rightId} are not both known`);
    if (!equalBytes(left.desc.end, right.desc.start))
      throw new TesseraError(
        "INVALID_ARGUMENT",
        `range ${leftId} does not end where ${rightId} starts`,
      );
    if (!sameMembers(left, right))
      throw new TesseraError(
        "INVALID_ARGUMENT",
        `ranges ${leftId} and ${rightId} have different members`,
      );
    const lockIndex = await this.rangeOp(leftId, {
      op: "lock",
      right: rightId,
      generation: left.desc.generation,
    });
    let voters: number[];
    try {
      const freezeIndex = await this.rangeOp(rightId, {
        op: "freeze",
        into: leftId,
        generation: right.desc.generation,
      });
      voters = await this.settledEverywhere(rightId, freezeIndex, true);
      const leftVoters = await this.settledEverywhere(leftId, lockIndex, false);
      if (leftVoters.join(",") !== voters.join(","))
        throw new TesseraError(
          "INVALID_ARGUMENT",
          `ranges ${leftId} and ${rightId} have different voters`,
        );
    } catch (e) {
      await this.abandonMerge(leftId, rightId).catch(() => undefined);
      throw e;
    }
    if (!(await this.decideMerge(rightId, `decided:${leftId}`)))
      throw new TesseraError("UNAVAILABLE", `the merge of range ${rightId} was abandoned`);
    await this.completeMerge(leftId, right.desc, voters);
  }

  /** Step 4 of `merge`, also run to finish a decided merge whose merger failed. */
  private async completeMerge(
    leftId: RangeId,
    right: RangeDescriptor,
    voters: readonly number[],
  ): Promise<void> {
    await this.rangeOp(leftId, {
      op: "merge",
      right: right.rangeId,
      rightGeneration: right.generation,
      rightStart: right.start,
      rightEnd: right.end,
      voters,
    });
    await this.service.write(deleteEntryCommand(right.rangeId)).catch(() => undefined);
    this.directory.invalidate();
    void this.reconcileMeta();
  }

  /**
   * Records the merge of `rightId` aborted unless it was decided; then thaws
   * the right range and unlocks the left one. False when it was decided.
   */
  private async abandonMerge(leftId: RangeId, rightId: RangeId): Promise<boolean> {
    if (!(await this.decideMerge(rightId, "aborted"))) return false;
    await Promise.allSettled([
      this.rangeOp(rightId, { op: "unfreeze", generation: 0 }),
      this.rangeOp(leftId, { op: "unlock" }),
    ]);
    return true;
  }

  /** SET NX of the merge decision; true when `decision` is the one recorded (now or before). */
  private async decideMerge(rightId: RangeId, decision: string): Promise<boolean> {
    await this.service.write(mergeDecisionCommand(rightId, decision));
    const now = await this.service.read(readMergeDecisionCommand(rightId), "strong");
    return now.t === "bulk" && new TextDecoder().decode(now.v) === decision;
  }

  /** Runs a range operation on the range's leader; resolves with its log index. */
  private rangeOp(rangeId: RangeId, op: RangeOp): Promise<LogIndex> {
    return this.forwarder.run(rangeId, {
      idempotent: false,
      local: (r) => r.proposeRangeOp(op),
      remote: async (bus, to) =>
        logIndex(
          Number(
            await bus.call(
              to,
              RANGE_OP_METHOD,
              { rangeId, op },
              { timeoutMs: MEMBERSHIP_TIMEOUT_MS },
            ),
          ),
        ),
    });
  }

  /**
   * Waits until every voter of `rangeId` applied `index` (its freeze, or its
   * merge lock), its leader has no membership change pending and it has no
   * learners; resolves with the voters. `frozen`: every voter must report
   * the range frozen.
   */
  private async settledEverywhere(
    rangeId: RangeId,
    index: LogIndex,
    frozen: boolean,
  ): Promise<number[]> {
    const deadline = this.clock.monotonicMs() + MERGE_CATCH_UP_MS;
    while (this.clock.monotonicMs() < deadline) {
      const leader = await this.rangeStateAnywhere(rangeId).catch(() => undefined);
      if (leader?.isLeader && !leader.confChangePending && leader.learners.length === 0) {
        const states = await Promise.all(
          leader.voters.map((v) =>
            v === this.nodeId
              ? Promise.resolve(this.localRangeState(rangeId))
              : this.bus
                  ?.call(v as NodeId, RANGE_STATE_METHOD, { rangeId }, { timeoutMs: 2000 })
                  .then((x) => x as RangeState)
                  .catch(() => undefined),
          ),
        );
        if (states.every((st) => st !== undefined && (st.frozen || !frozen) && st.applied >= index))
          return [...leader.voters].sort((a, b) => a - b);
      }
      await sleep(this.timers, 50);
    }
    throw new TesseraError("TIMEOUT", `range ${rangeId} did not settle on every replica in time`);
  }

  /** The range's state as its leader reports it: asked of the leader hint, then of its replicas. */
  private async rangeStateAnywhere(rangeId: RangeId): Promise<RangeState | undefined> {
    const local = this.localRangeState(rangeId);
    if (local?.isLeader) return local;
    if (!this.bus) return undefined;
    const ask = (to: number) =>
      this.bus!.call(to as NodeId, RANGE_STATE_METHOD, { rangeId }, { timeoutMs: 2000 })
        .then((x) => (x ?? undefined) as RangeState | undefined)
        .catch(() => undefined);
    const tried = new Set<number>([this.nodeId]);
    const queue: number[] = [];
    const hint = local?.leaderId || this.directory.leaderHint(rangeId);
    if (hint) queue.push(hint);
    queue.push(...(this.directory.byId(rangeId)?.voters ?? []));
    for (let to = queue.shift(); to !== undefined && tried.size < 8; to = queue.shift()) {
      if (tried.has(to)) continue;
      tried.add(to);
      const st = await ask(to);
      if (st?.isLeader) return st;
      if (st?.leaderId && !tried.has(st.leaderId)) queue.unshift(st.leaderId);
    }
    return undefined;
  }

  private localRangeState(rangeId: RangeId): RangeState | undefined {
    const r = this.scheduler.replica(rangeId);
    if (!r?.isInitialized || r.isClosed) return undefined;
    return {
      applied: r.appliedIndex,
      frozen: r.frozenInto !== undefined,
      isLeader: r.raftState === "leader",
      leaderId: r.leaderId,
      voters: [...r.confState().voters],
      learners: [
        ...r.confState().learners,
        ...r.confState().votersOutgoing,
        ...r.confState().learnersNext,
      ],
      confChangePending: r.raftState === "leader" ? r.confChangePending : true,
      generation: r.descriptor.generation,
      start: r.descriptor.start,
      end: r.descriptor.end,
    };
  }

  /**
   * On the leaders of ranges frozen or merge-locked for longer than
   * MERGE_ABANDON_MS: the merger stalled. If the meta range recorded the
   * merge as decided, finish it (the right range's replica here holds its
   * frozen state: both ranges have the same members); otherwise record it
   * aborted, thaw the right range and unlock the left.
   */
  private async reconcileMerges(): Promise<void> {
    for (const r of [...this.scheduler.all()]) {
      if (r.raftState !== "leader" || r.isClosed || !r.isInitialized) continue;
      const f = r.frozenInto;
      const l = r.mergeLockOn;
      const since = f?.sinceMs ?? l?.sinceMs;
      if (since === undefined || this.clock.monotonicMs() - since < MERGE_ABANDON_MS) continue;
      const [leftId, rightId] = f ? [f.into, r.rangeId] : [r.rangeId, l!.right];
      try {
        const d = await this.service.read(readMergeDecisionCommand(rightId), "strong");
        const decided = d.t === "bulk" ? new TextDecoder().decode(d.v) : undefined;
        if (decided === undefined || decided === "aborted") {
          if (await this.abandonMerge(leftId, rightId)) continue;
        }
        const right = this.scheduler.replica(rightId);
        if (!right?.isInitialized) continue; // its own leader finishes it
        const voters = [...right.confState().voters].sort((a, b) => a - b);
        await this.completeMerge(leftId, right.descriptor, voters);
      } catch (err) {
        this.options.log?.warn(
          { left: leftId, right: rightId, err: String(err) },
          "resolving a stalled merge failed",
        );
      }
    }
  }

  /**
   * Replica garbage collection: a replica removed from its range while cut
   * off never applies its removal, so it stays, stale — and may block a
   * snapshot of a range that now owns part of its span. Each round, the
   * replicas the meta table no longer lists here (and those that blocked a
   * snapshot) are checked against their range's leader: one whose leader's
   * configuration does not include this node is destroyed. (A leader sends
   * to a new member only once it applied the change adding it, so a
   * replica the leader does not list is never a member about to be.)
   */
  private async collectGarbage(): Promise<void> {
    this.dropIdleUninitialized();
    const suspects = new Set(this.gcSuspects);
    this.gcSuspects.clear();
    for (const r of this.scheduler.all()) {
      if (!r.isInitialized || r.isClosed || r.raftState === "leader") continue;
      const meta = this.directory.metaEntry(r.rangeId);
      if (this.isMergedAway(r.rangeId)) suspects.add(r.rangeId);
      else if (meta === undefined && this.directory.absorberOf(r.descriptor) !== undefined)
        suspects.add(r.rangeId);
      else if (
        meta !== undefined &&
        meta.desc.generation >= r.descriptor.generation &&
        !meta.voters.includes(this.nodeId) &&
        !meta.learners.includes(this.nodeId)
      )
        suspects.add(r.rangeId);
    }
    // The meta table lists no entry for the meta range itself, so a replica
    // of it left behind here is found by asking its leader, every sweep.
    const metaReplica = this.scheduler.replica(META_RANGE.rangeId);
    const now = this.clock.monotonicMs();
    if (
      metaReplica?.isInitialized &&
      metaReplica.raftState !== "leader" &&
      now - this.lastMetaRangeGcMs >= (this.options.metaSweepMs ?? RECONCILE_SWEEP_MS)
    ) {
      this.lastMetaRangeGcMs = now;
      suspects.add(META_RANGE.rangeId);
    }
    for (const id of suspects) {
      const r = this.scheduler.replica(id);
      if (!r?.isInitialized || r.isClosed || r.raftState === "leader") continue;
      if (this.isMergedAway(id)) {
        r.markRemoved();
        continue;
      }
      const absorber =
        this.directory.metaEntry(id) === undefined
          ? this.directory.absorberOf(r.descriptor)
          : undefined;
      if (absorber !== undefined) {
        if (await this.absorbedWithoutUs(r, absorber.desc.rangeId)) {
          this.options.log?.info(
            { rangeId: id, absorbedBy: absorber.desc.rangeId },
            "destroying a replica of a range merged into one this node holds no replica of",
          );
          r.markRemoved();
        }
        continue;
      }
      const leader = await this.rangeStateAnywhere(id).catch(() => undefined);
      if (!leader?.isLeader) continue;
      if (leader.voters.includes(this.nodeId) || leader.learners.includes(this.nodeId)) continue;
      this.options.log?.info({ rangeId: id }, "destroying a replica its range no longer counts");
      r.markRemoved();
    }
  }

  /**
   * Lets go of the replicas that hold nothing and have heard nothing for
   * `uninitializedIdleMs`. A leader's message makes one (replicaFor), and a
   * leader that has not yet applied this node's removal still sends them
   * after the replica they were meant for was destroyed: such a replica
   * waits for a snapshot that never comes, and was kept (and ticked) until
   * the node restarted. A member-to-be hears from its leader all the while,
   * so it is not let go; if one were, the next message makes it again.
   * Letting go is what a restart does to it: its Raft state (a vote it cast)
   * stays in the store, and a replica made anew reads it back
   * (Store.uninitializedLogStorage). The scheduler forgets it only when no
   * store commit still carries its work (Scheduler.removeIfIdle).
   */
  private dropIdleUninitialized(): void {
    const idleMs = this.options.uninitializedIdleMs ?? UNINITIALIZED_IDLE_MS_DEFAULT;
    const now = this.clock.monotonicMs();
    for (const r of [...this.scheduler.all()]) {
      if (r.isInitialized || r.isClosed || r.hasPendingSnapshot) continue;
      if (now - r.heardAtMs < idleMs) continue;
      if (this.spanWork.receiving(r.rangeId)) continue;
      if (!this.scheduler.removeIfIdle(r)) continue;
      r.close(
        new TesseraError("UNAVAILABLE", `range ${r.rangeId} has no replica here; retry elsewhere`),
      );
      this.store.forgetRange(r.rangeId);
      this.uninitializedDropped++;
      this.options.log?.info(
        { rangeId: r.rangeId, idleMs: now - r.heardAtMs },
        "letting go of an uninitialized replica no leader has contacted for a while",
      );
    }
  }

  /**
   * Whether range `absorber`'s leader confirms it took over `r`'s keys in a
   * merge this node was left out of: its descriptor is newer than `r`'s,
   * overlaps `r`'s span, and does not count this node, or counts it but no
   * replica here could apply that merge from its log. (A replica removed
   * from the absorbing range while the merge ran keeps its replica of the
   * absorbed one, which no leader will ever again tell to go; the merge
   * itself never needs it, since the absorbing range applies the merge only
   * on its own members.)
   */
  private async absorbedWithoutUs(r: Replica, absorber: RangeId): Promise<boolean> {
    const st = await this.rangeStateAnywhere(absorber).catch(() => undefined);
    if (!st?.isLeader) return false;
    const mine = r.descriptor;
    const newerOverlap =
      st.generation > mine.generation &&
      compareBytes(st.start, mine.end) < 0 &&
      compareBytes(mine.start, st.end) < 0;
    if (!newerOverlap) return false;
    if (!st.voters.includes(this.nodeId) && !st.learners.includes(this.nodeId)) return true;
    // The newer range counts this node: it was added after the merge, or the
    // range was split off the absorbing one since. Either way its replica here
    // comes by snapshot, which is refused while this stale replica overlaps it
    // (the simulator found the standstill, seed 7291). The stale replica is
    // needed only by a local replica that will apply the merge from its log,
    // and that is one to its left in the key space.
    return !this.mayAbsorbLocally(r);
  }

  /** Whether a replica here, other than `r`, lies to the left of `r` and so might absorb it. */
  private mayAbsorbLocally(r: Replica): boolean {
    const start = r.descriptor.start;
    for (const o of this.scheduler.all()) {
      if (o === r || !o.isInitialized || o.isClosed || o.rangeId === META_RANGE.rangeId) continue;
      const desc = o.descriptorIfKnown;
      if (desc === undefined || compareBytes(desc.start, start) < 0) return true;
    }
    return false;
  }

  /**
   * The load of every range this node leads, as its leader measures it
   * (range-load.ts): for the cluster's planner and TESSERA STATUS. Reading
   * it changes nothing, so callers do not disturb each other's figures.
   */
  rangeLoads(): RangeLoadReport[] {
    const now = this.clock.monotonicMs();
    const out: RangeLoadReport[] = [];
    for (const r of this.measurable()) {
      if (r.raftState === "leader") out.push(measureRange(r, this.loadMeter, now, this.rangeSizes));
    }
    return out;
  }

  /** Every range this node holds a replica of, with its role and load as measured here (INFO). */
  replicaLoads(): ReplicaLoadReport[] {
    const now = this.clock.monotonicMs();
    return [...this.measurable()]
      .sort((a, b) => a.rangeId - b.rangeId)
      .map((r) => ({
        ...measureRange(r, this.loadMeter, now, this.rangeSizes),
        role: roleOf(r, this.nodeId),
      }));
  }

  /** Initialized, open replicas with a descriptor: the ones whose load means something. */
  private *measurable(): Iterable<Replica> {
    for (const r of this.scheduler.all()) {
      if (r.isInitialized && !r.isClosed && r.descriptorIfKnown !== undefined) yield r;
    }
  }

  /** What the load meter samples: every measurable replica's ops counter (see `measurable`). */
  private readonly opsCounters: CounterSource = (sample) => {
    for (const r of this.scheduler.all()) {
      const desc = r.descriptorIfKnown;
      if (desc !== undefined && r.isInitialized && !r.isClosed)
        sample(r.rangeId, desc.generation, r.opsTotal);
    }
  };

  /**
   * Splits range `rangeId` at internal key `splitKey` (forwarded to its
   * leader); resolves with the new right-hand range's id once the split is
   * applied on the leader. The new id is allocated through the meta range.
   */
  async split(rangeId: RangeId, splitKey: Uint8Array, sticky = false): Promise<RangeId> {
    const right = rangeIdFromReply((await this.service.write(allocateRangeIdCommand())).reply);
    const desc = await this.forwarder.run(rangeId, {
      idempotent: true,
      local: async (r) => (await r.split(right, splitKey, r.descriptor.generation, sticky)).right,
      remote: async (bus, to) => {
        const res = (await bus.call(
          to,
          SPLIT_METHOD,
          { rangeId, right, splitKey, sticky },
          { timeoutMs: MEMBERSHIP_TIMEOUT_MS },
        )) as { rangeId: number };
        return { rangeId: toRangeId(Number(res.rangeId)) } as RangeDescriptor;
      },
    });
    this.directory.invalidate();
    void this.reconcileMeta();
    return desc.rangeId;
  }
}

/**
 * `snapshot`, whose data `written` holds in the store already: its install
 * writes only Raft state. Discarding it without installing it clears the data.
 */
function prewrittenSnapshot(snapshot: IncomingSnapshot, written: Prewritten): IncomingSnapshot {
  // The staged stream is of no more use: the data is in the store.
  const { meta, bytes, keys } = snapshot;
  const record = (key: Uint8Array) => snapshot.record(key);
  snapshot.discard();
  let installed = false;
  return {
    meta,
    bytes,
    keys,
    record,
    entries: () => [],
    prewritten: written.clear,
    markInstalled: () => {
      installed = true;
      written.installed();
    },
    discard: () => {
      if (!installed) written.abandon();
    },
  };
}
