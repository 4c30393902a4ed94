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
  HlcClock,
  logIndex,
  type NodeId,
  type RangeId,
  type Rng,
  SeededRng,
  TesseraError,
  type Timers,
  term,
  rangeId as toRangeId,
} from "../lib/index.js";
import { EMPTY_CONF_STATE, type Message, type SnapshotMetadata } from "../raft/index.js";
import type { RangeLogStorage, SpanEntry, Store } from "../storage/index.js";
import type { Bus } from "../transport/index.js";
import { Expirer } from "./expirer.js";
import { Forwarder } from "./forwarding.js";
import type {
  BootstrapRange,
  PeerDirectory,
  RangeInfo,
  ReplicaChange,
  StoreHostLimits,
  StoreHostOptions,
} from "./host-types.js";
import { ReplicatedKvService } from "./kv-service.js";
import { changeReplicasOnLeader } from "./membership.js";
import { Replica } from "./replica.js";
import { DEFAULT_RAFT_TIMING, type RaftTiming } from "./replica-options.js";
import { SYSTEM_RANGE_ID, spanBounds, spanOfRange, USER_RANGE_ID } from "./routing.js";
import { StoreScheduler } from "./scheduler.js";
import { SnapshotReceiver } from "./snapshot-receiver.js";
import { SNAPSHOT_METHOD, SnapshotSender } from "./snapshot-sender.js";
import { sleep, systemTimers } from "./system-timers.js";
import { BusRaftTransport, LoneNodeTransport } from "./transport.js";
import type { KvService } from "./types.js";

export type { StoreHostLimits, StoreHostOptions };

export interface StoreHostStats {
  readonly batchesTotal: number;
  readonly readiesTotal: number;
  readonly keysExpiredTotal: number;
  readonly pendingWrites: number;
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
  private readonly expirers = new Map<RangeId, Expirer>();
  private readonly forwarder: Forwarder;
  private readonly sender: SnapshotSender | undefined;
  private peerDirectory: PeerDirectory = () => "";
  private peerCandidates: () => readonly NodeId[] = () => [];
  private stopped = false;

  private constructor(private readonly options: StoreHostOptions) {
    const { store, clock } = options;
    this.store = store;
    this.clock = clock;
    this.bus = options.bus;
    this.timers = options.timers ?? systemTimers;
    this.nodeId = options.nodeId ?? store.identity.nodeId;
    this.rng = options.rng ?? new SeededRng(options.seed ?? (clock.nowMs() ^ this.nodeId) >>> 0);
    this.tickMs = options.raftTiming?.tickMs ?? options.tickMs ?? TICK_MS_DEFAULT;
    this.timing = options.raftTiming ?? options.timing ?? DEFAULT_RAFT_TIMING;
    store.useClock(clock);
    const bus = this.bus;
    this.sender = bus
      ? new SnapshotSender(bus, store, (id) => this.scheduler.replica(id), options.log)
      : undefined;
    this.scheduler = new StoreScheduler(store, {
      tickMs: this.tickMs,
      timers: this.timers,
      clock,
      transport: bus
        ? new BusRaftTransport(bus, (id, m) => this.sender?.send(id, m))
        : new LoneNodeTransport(),
      onFatal: options.onFatal,
      onTick: () => {
        for (const e of this.expirers.values()) e.maybeRun();
      },
      onDestroyed: (id) => {
        this.expirers.delete(id);
        options.log?.info({ rangeId: id }, "replica removed from this node");
      },
    });
    if (!bus && store.rangeIds().length === 0) {
      for (const id of [SYSTEM_RANGE_ID, USER_RANGE_ID]) this.bootstrapOne(id, [this.nodeId]);
    }
    for (const id of store.rangeIds()) this.addReplica(id, store.logStorage(id));
    const deps = {
      nodeId: this.nodeId,
      bus,
      timers: this.timers,
      clock,
      leaderWaitMs: options.leaderWaitMs ?? LEADER_WAIT_MS_DEFAULT,
      replica: (id: RangeId) => this.scheduler.replica(id),
      peers: () => this.peers(),
    };
    this.forwarder = new Forwarder(deps);
    const service = new ReplicatedKvService({
      ...deps,
      store,
      replicas: () => this.scheduler.all(),
      peerDirectory: () => this.peerDirectory,
      forwardTimeoutMs: options.limits.proposalTimeoutMs + 1000,
    });
    this.service = service;
    if (bus) this.serve(bus, service);
  }

  /** Starts the replicas of `options.store` and, with a bus, answers other nodes. */
  static start(options: StoreHostOptions): StoreHost {
    const host = new StoreHost(options);
    host.scheduler.start();
    for (const r of host.scheduler.all()) r.campaignIfAlone();
    return host;
  }

  /**
   * Creates `ranges` on this node (the first node of a new cluster only);
   * a range that exists already is left alone.
   */
  async bootstrap(ranges: readonly BootstrapRange[]): Promise<void> {
    for (const spec of ranges) {
      if (this.store.hasRange(spec.rangeId)) continue;
      if (spanOfRange(spec.rangeId) !== spec.keyspaces) {
        throw new TesseraError(
          "INVALID_ARGUMENT",
          `range ${spec.rangeId} cannot own the ${spec.keyspaces} keyspaces (range 1: system, 2: user)`,
        );
      }
      this.scheduler.remove(spec.rangeId);
      this.bootstrapOne(spec.rangeId, spec.voters);
      const r = this.addReplica(spec.rangeId, this.store.logStorage(spec.rangeId));
      r.campaignIfAlone();
    }
  }

  /** Sets how node ids map to client-facing addresses (for status and INFO). */
  /**
   * Nodes to ask for a range's leader when this node holds no replica of it
   * (a spare, or a node still joining): the cluster layer knows them all.
   */
  setPeerCandidates(candidates: () => readonly NodeId[]): void {
    this.peerCandidates = candidates;
  }

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

  /** What this node knows of `rangeId`, or undefined when it holds no replica of it. */
  rangeInfo(rangeId: RangeId): RangeInfo | undefined {
    const r = this.scheduler.replica(rangeId);
    if (!r) return undefined;
    const conf = r.confState();
    const role: RangeInfo["role"] =
      r.raftState === "leader"
        ? "leader"
        : r.raftState === "follower"
          ? conf.learners.includes(this.nodeId)
            ? "learner"
            : "follower"
          : "candidate";
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
    for (const r of this.scheduler.all()) pendingWrites += r.pendingWrites;
    let keysExpiredTotal = 0;
    for (const e of this.expirers.values()) keysExpiredTotal += e.keysExpiredTotal;
    return {
      batchesTotal: s.batchesTotal,
      readiesTotal: s.readiesTotal,
      keysExpiredTotal,
      pendingWrites,
    };
  }

  /** Lets in-flight writes finish (up to `drainMs`), then stops; the store stays open. */
  async stop(drainMs = 0): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.scheduler.drain(drainMs);
    await this.scheduler.stop();
  }

  // --- internals ----------------------------------------------------------------

  private bootstrapOne(id: RangeId, voters: readonly NodeId[]): void {
    this.store.bootstrapRange(
      id,
      { ...EMPTY_CONF_STATE, voters: [...voters] },
      { index: logIndex(BOOTSTRAP_INDEX), term: term(BOOTSTRAP_TERM) },
    );
  }

  private addReplica(id: RangeId, log: RangeLogStorage): Replica {
    const o = this.options;
    const rng = this.rng.fork ? this.rng.fork() : this.rng;
    const spec = spanOfRange(id);
    const replica = new Replica({
      rangeId: id,
      spans: spanBounds(spec),
      nodeId: this.nodeId,
      log,
      view: this.store.kvView(),
      clock: this.clock,
      hlc: this.hlc,
      rng,
      limits: o.limits,
      timing: this.timing,
      wake: () => this.scheduler.wake(),
      ...(o.logEntriesKeep !== undefined ? { logEntriesKeep: o.logEntriesKeep } : {}),
      ...(o.localReadsWhenAlone !== undefined
        ? { localReadsWhenAlone: o.localReadsWhenAlone }
        : {}),
      ...(o.knobs ? { knobs: o.knobs } : {}),
    });
    this.scheduler.add(replica);
    this.expirers.set(
      id,
      new Expirer(replica, this.store.kvView(), this.clock, {
        intervalMs: this.tickMs,
        batchKeysMax: o.limits.expireBatchKeysMax,
        system: spec === "system",
      }),
    );
    return replica;
  }

  /** The replica of `id`, created uninitialized when a leader contacts this node first. */
  private replicaFor(id: RangeId, first: Message["type"]): Replica | undefined {
    const r = this.scheduler.replica(id);
    if (r || this.stopped || !LEADER_MESSAGES.has(first)) return r;
    if (this.store.hasRange(id)) return undefined;
    this.options.log?.info({ rangeId: id }, "creating an uninitialized replica");
    return this.addReplica(id, this.store.uninitializedLogStorage(id));
  }

  private serve(bus: Bus, service: ReplicatedKvService): void {
    bus.onRaft((_from, id, messages) => {
      if (this.stopped || messages.length === 0) return;
      const r = this.replicaFor(id, messages[0]!.type);
      if (!r) return;
      for (const m of messages) r.step(m);
    });
    bus.onUnreachable((nodeId) => {
      if (this.stopped) return;
      for (const r of this.scheduler.all()) r.reportUnreachable(nodeId);
    });
    const receiver = new SnapshotReceiver((id, from, msgTerm, meta, data) =>
      this.deliverSnapshot(id, from, msgTerm, meta, data),
    );
    bus.handle(SNAPSHOT_METHOD, (req, ctx) => receiver.handle(req, ctx));
    bus.handle(CHANGE_REPLICAS_METHOD, async (req) => {
      const r = req as { rangeId: number; changes: ReplicaChange[] };
      await this.changeLocal(this.leaderOf(toRangeId(r.rangeId)), r.changes);
      return true;
    });
    bus.handle(TRANSFER_LEADER_METHOD, async (req) => {
      const r = req as { rangeId: number; to: number };
      await this.transferLocal(this.leaderOf(toRangeId(r.rangeId)), r.to as NodeId);
      return true;
    });
    service.serve(bus);
  }

  private deliverSnapshot(
    id: RangeId,
    from: NodeId,
    msgTerm: number,
    meta: SnapshotMetadata,
    data: SpanEntry[],
  ): void {
    if (this.stopped) throw new TesseraError("SHUTTING_DOWN", "the node is stopping");
    const r = this.replicaFor(id, "MsgSnap");
    if (!r) throw new TesseraError("UNAVAILABLE", `range ${id} cannot take a snapshot here`);
    r.stepSnapshot(from, msgTerm, meta, data);
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
   * Other nodes to ask for a leader: the members of the ranges this node
   * knows, or, when it holds none, every node the cluster layer knows.
   */
  private peers(): NodeId[] {
    const ids = new Set<NodeId>();
    for (const r of this.scheduler.all()) {
      const c = r.confState();
      for (const n of [...c.voters, ...c.learners]) if (n !== this.nodeId) ids.add(n);
    }
    if (ids.size === 0) for (const n of this.peerCandidates()) if (n !== this.nodeId) ids.add(n);
    return [...ids];
  }
}
