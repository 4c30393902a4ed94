/**
 * `Replica`: this node's member of one range's Raft group — a `RawNode` over
 * the range's `RangeLogStorage`, with the kv state machine applied to the
 * store's user data.
 *
 * Writes: the leader stamps a command with its HLC time, proposes it (entry
 * data: see proposal.ts) and keeps a pending promise under the proposal id;
 * the promise resolves with the reply `applyWrite` produced once the entry is
 * applied and the transaction that applied it is durable. Reads: `any` reads
 * the local state; the others first take a read point (`readPoint`: a lease
 * read for `strong`, a ReadIndex round for the rest, Raft thesis §6.4) and are
 * served once the replica has applied it — except on a leader that is its
 * group's only voter, whose applied state is already linearizable.
 *
 * Membership: committed conf changes are applied in the batch that applies
 * them, and the new ConfState is persisted with the applied index. A replica
 * that learns it is no longer a member reports `isRemoved`; the scheduler then
 * destroys it. Snapshots arrive whole (snapshot-receiver.ts) and are installed
 * in one batch when Raft hands them back in a Ready.
 *
 * The scheduler drives the replica: `collect` takes a Ready and stages its
 * writes into a shared StoreBatch; once that batch is committed, `finish`
 * resolves the waiters, serves reads and advances the RawNode, returning the
 * messages for other nodes.
 *
 * Bounds: at most `proposalsPendingMax` writes and as many reads wait at once
 * (LIMIT_EXCEEDED past it); a proposal is at most `proposalBytesMax` bytes; a
 * write or read that waits longer than its timeout fails with TIMEOUT.
 */
import {
  applyWrite,
  executeRead,
  type KvReply,
  type ReadCommand,
  type WriteCommand,
} from "../kv/index.js";
import {
  assert,
  type Clock,
  type HlcClock,
  hlcPhysicalMs,
  type LogIndex,
  logIndex,
  type NodeId,
  type RangeId,
  TesseraError,
} from "../lib/index.js";
import {
  type ConfChange,
  type ConfState,
  decodeConfChange,
  type Entry,
  type Message,
  type ProgressStatus,
  RawNode,
  type Ready,
  type SnapshotMetadata,
  type StateType,
} from "../raft/index.js";
import type {
  AppliedState,
  KvView,
  KvWriter,
  RangeLogStorage,
  SpanEntry,
  StoreBatch,
} from "../storage/index.js";
import { checkCommandKeys } from "./command-keys.js";
import type { TestingKnobs } from "./host-types.js";
import { decodeProposal, encodeProposal, type ProposalId } from "./proposal.js";
import type { ReplicaLimits, ReplicaOptions } from "./replica-options.js";
import type { Span } from "./routing.js";
import type { ReadConsistency, WriteResult } from "./types.js";

interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (e: Error) => void;
  readonly deadlineMs: number;
}

type ReadMode = "lease" | "safe";

interface AppliedWrite {
  readonly key: number;
  readonly reply: KvReply;
  readonly index: LogIndex;
}

/** What `collect` took from Raft, handed back to `finish` after the commit. */
export interface CollectedReady {
  readonly rd: Ready;
  readonly applied: AppliedWrite[];
  readonly confApplied: number[];
}

const LOG_ENTRIES_KEEP_DEFAULT = 10_000;
const CONF_CHANGE_TAG = 0xcc;
/** Snapshots a replica keeps received and not yet installed. */
const SNAPSHOTS_KEPT_MAX = 4;

export class Replica {
  readonly rangeId: RangeId;
  readonly nodeId: NodeId;
  readonly spans: readonly Span[];
  private readonly node: RawNode;
  private readonly log: RangeLogStorage;
  private readonly view: KvView;
  private readonly clock: Clock;
  private readonly hlc: HlcClock;
  private readonly limits: ReplicaLimits;
  private readonly wake: () => void;
  private readonly logEntriesKeep: number;
  private readonly localReadsWhenAlone: boolean;
  private readonly knobs: TestingKnobs;
  private readonly incarnation: number;
  private sequence = 0;
  private readonly writes = new Map<number, Waiter<WriteResult>>();
  private readonly confWaiters = new Map<number, Waiter<void>>();
  /** Read points asked for and not yet requested from Raft, by mode. */
  private pointsUnrequested: Record<ReadMode, Waiter<LogIndex>[]> = { lease: [], safe: [] };
  /** Read point requests in flight, by request context. */
  private readonly pointsRequested = new Map<string, Waiter<LogIndex>[]>();
  /** Waiters for the applied index to reach an index (ascending index). */
  private appliedWaiters: { index: LogIndex; waiters: Waiter<void>[] }[] = [];
  private readCtxSeq = 0;
  /**
   * The data of snapshots received, by index, until Raft hands one back to
   * install (it may refuse a stale one, so a newer one must not replace an
   * older one Raft already took). At most `SNAPSHOTS_KEPT_MAX` are kept.
   */
  private readonly receivedSnapshots = new Map<LogIndex, readonly SpanEntry[]>();
  private closedWith: TesseraError | undefined;
  private writesApplied = 0;
  private removed = false;
  /** The term in which this replica was last found ready (see isReady). */
  private readyTerm = -1;

  constructor(options: ReplicaOptions) {
    this.rangeId = options.rangeId;
    this.nodeId = options.nodeId;
    this.spans = options.spans;
    this.log = options.log;
    this.view = options.view;
    this.clock = options.clock;
    this.hlc = options.hlc;
    this.limits = options.limits;
    this.wake = options.wake;
    this.logEntriesKeep = options.logEntriesKeep ?? LOG_ENTRIES_KEEP_DEFAULT;
    this.localReadsWhenAlone = options.localReadsWhenAlone ?? true;
    this.knobs = options.knobs ?? {};
    this.incarnation = options.rng.nextU32();
    this.node = new RawNode(
      {
        id: options.nodeId,
        electionTick: options.timing.electionTick,
        heartbeatTick: options.timing.heartbeatTick,
        applied: options.log.applied().index,
        maxSizePerMsg: 1024 * 1024,
        maxInflightMsgs: 256,
        maxUncommittedEntriesSize: Math.max(options.limits.proposalBytesMax, 256 * 1024 * 1024),
        checkQuorum: true,
        preVote: true,
        // A leader removed from its range hands leadership over before it steps
        // down, so the voters left are never stranded waiting for its vote.
        stepDownOnRemoval: true,
        readOnlyOption: "safe",
        rng: options.rng,
      },
      options.log,
    );
  }

  /** Campaigns at once when this node is the only voter (no one else can elect it). */
  campaignIfAlone(): void {
    const voters = this.log.confState().voters;
    if (voters.length === 1 && voters[0] === this.nodeId && this.node.raft.state !== "leader") {
      this.node.campaign();
      this.wake();
    }
  }

  // --- client operations ------------------------------------------------------

  write(cmd: WriteCommand): Promise<WriteResult> {
    try {
      this.checkOpen();
      checkCommandKeys(cmd);
      if (this.writes.size >= this.limits.proposalsPendingMax) {
        throw new TesseraError(
          "LIMIT_EXCEEDED",
          `too many writes pending (proposalsPendingMax ${this.limits.proposalsPendingMax})`,
        );
      }
      this.checkLeader();
      const version = this.hlc.now(this.clock.nowMs());
      const id: ProposalId = { incarnation: this.incarnation, sequence: this.nextSequence() };
      const data = encodeProposal(id, cmd, { nowMs: hlcPhysicalMs(version), version });
      if (data.byteLength > this.limits.proposalBytesMax) {
        throw new TesseraError(
          "LIMIT_EXCEEDED",
          `write of ${data.byteLength} bytes exceeds proposalBytesMax (${this.limits.proposalBytesMax})`,
        );
      }
      this.node.propose(data);
      const promise = new Promise<WriteResult>((resolve, reject) => {
        this.writes.set(id.sequence, { resolve, reject, deadlineMs: this.deadline("write") });
      });
      this.wake();
      return promise;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Reads at `consistency`: `any` locally, the others at a read point. */
  async read(cmd: ReadCommand, consistency: ReadConsistency): Promise<KvReply> {
    this.checkOpen();
    if (consistency === "any" || this.leadsAlone()) return this.execute(cmd);
    const point = await this.readPoint(consistency === "strong" ? "lease" : "safe");
    await this.waitApplied(point);
    return this.execute(cmd);
  }

  /** Serves `cmd` once this replica has applied `index` (the `all` level's per-replica read). */
  async readAt(cmd: ReadCommand, index: LogIndex): Promise<KvReply> {
    this.checkOpen();
    await this.waitApplied(index);
    return this.execute(cmd);
  }

  /** A linearizable read point: a lease read ("lease") or a ReadIndex round ("safe"). */
  readPoint(mode: ReadMode): Promise<LogIndex> {
    try {
      this.checkOpen();
      const waiting =
        this.pointsUnrequested.lease.length +
        this.pointsUnrequested.safe.length +
        this.pointsInFlight();
      if (waiting >= this.limits.proposalsPendingMax) {
        throw new TesseraError("LIMIT_EXCEEDED", `too many reads pending (${waiting})`);
      }
      if (this.node.raft.lead === 0)
        throw new TesseraError("UNAVAILABLE", `range ${this.rangeId} has no leader`);
      const promise = new Promise<LogIndex>((resolve, reject) => {
        this.pointsUnrequested[mode].push({ resolve, reject, deadlineMs: this.deadline("read") });
      });
      this.wake();
      return promise;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Resolves once this replica has applied `index`. */
  waitApplied(index: LogIndex): Promise<void> {
    if (this.log.applied().index >= index) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w = { resolve, reject, deadlineMs: this.deadline("read") };
      let i = this.appliedWaiters.findIndex((g) => g.index >= index);
      if (i < 0) i = this.appliedWaiters.length;
      const group = this.appliedWaiters[i];
      if (group && group.index === index) group.waiters.push(w);
      else this.appliedWaiters.splice(i, 0, { index, waiters: [w] });
    });
  }

  /**
   * Proposes a configuration change (leader only); resolves once it is
   * applied here. Raft refuses a second change while one is pending
   * (PROPOSAL_DROPPED).
   */
  proposeConfChange(cc: Omit<ConfChange, "context">): Promise<void> {
    try {
      this.checkOpen();
      this.checkLeader();
      const seq = this.nextSequence();
      const context = new Uint8Array(9);
      const view = new DataView(context.buffer);
      context[0] = CONF_CHANGE_TAG;
      view.setUint32(1, this.incarnation);
      view.setUint32(5, seq);
      const before = this.node.raft.pendingConfIndex;
      this.node.proposeConfChange({ ...cc, context });
      if (this.node.raft.pendingConfIndex === before) {
        throw new TesseraError(
          "PROPOSAL_DROPPED",
          `range ${this.rangeId}: a configuration change is already in progress`,
        );
      }
      const promise = new Promise<void>((resolve, reject) => {
        this.confWaiters.set(seq, { resolve, reject, deadlineMs: this.deadline("write") });
      });
      this.wake();
      return promise;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Asks Raft to hand leadership to `to` (leader only; the outcome shows in `leaderId`). */
  transferLeader(to: NodeId): void {
    this.checkOpen();
    this.checkLeader();
    this.node.transferLeader(to);
    this.wake();
  }

  // --- driven by the scheduler and the transport --------------------------------

  /** Steps a Raft message from another node. */
  step(m: Message): void {
    if (this.closedWith) return;
    try {
      this.node.step(m);
    } catch (e) {
      // A forwarded proposal the leader refuses: the proposer times out and retries.
      if (!(e instanceof TesseraError)) throw e;
    }
    this.wake();
  }

  /** A snapshot arrived whole: keeps its data and steps its MsgSnap into Raft. */
  stepSnapshot(from: NodeId, msgTerm: number, meta: SnapshotMetadata, data: SpanEntry[]): void {
    if (this.closedWith) return;
    this.receivedSnapshots.set(meta.index, data);
    while (this.receivedSnapshots.size > SNAPSHOTS_KEPT_MAX) {
      const oldest = Math.min(...this.receivedSnapshots.keys()) as LogIndex;
      this.receivedSnapshots.delete(oldest);
    }
    this.step({
      type: "MsgSnap",
      from,
      to: this.nodeId,
      term: msgTerm as Message["term"],
      snapshot: { data: new Uint8Array(), metadata: meta },
    });
  }

  reportUnreachable(id: NodeId): void {
    if (this.closedWith) return;
    this.node.reportUnreachable(id);
    this.wake();
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    if (this.closedWith) return;
    this.node.reportSnapshot(id, ok ? "finish" : "failure");
    this.wake();
  }

  /** One Raft tick; also fails waiters past their deadline. */
  tick(): void {
    if (this.closedWith) return;
    this.node.tick();
    const now = this.clock.monotonicMs();
    const late = <T>(w: Waiter<T>) => w.deadlineMs <= now;
    const writeTimeout = () =>
      new TesseraError("TIMEOUT", `write not applied within ${this.limits.proposalTimeoutMs} ms`);
    const readTimeout = () =>
      new TesseraError("TIMEOUT", `read not served within ${this.limits.readTimeoutMs} ms`);
    for (const map of [this.writes, this.confWaiters] as Map<number, Waiter<unknown>>[]) {
      for (const [key, w] of map) {
        if (!late(w)) continue;
        map.delete(key);
        w.reject(writeTimeout());
      }
    }
    for (const [ctx, ws] of this.pointsRequested) {
      const [expired, onTime] = partition(ws, late);
      for (const w of expired) w.reject(readTimeout());
      if (onTime.length === 0) this.pointsRequested.delete(ctx);
      else this.pointsRequested.set(ctx, onTime);
    }
    for (const g of this.appliedWaiters) {
      const [expired, onTime] = partition(g.waiters, late);
      for (const w of expired) w.reject(readTimeout());
      g.waiters = onTime;
    }
    this.appliedWaiters = this.appliedWaiters.filter((g) => g.waiters.length > 0);
  }

  /** Issues one ReadIndex request per mode for every read point asked for since the last. */
  requestReads(): void {
    for (const mode of ["lease", "safe"] as const) {
      const ws = this.pointsUnrequested[mode];
      if (ws.length === 0) continue;
      this.pointsUnrequested[mode] = [];
      if (this.node.raft.lead === 0) {
        for (const w of ws)
          w.reject(new TesseraError("UNAVAILABLE", `range ${this.rangeId} has no leader`));
        continue;
      }
      const ctx = String(++this.readCtxSeq);
      this.pointsRequested.set(ctx, ws);
      try {
        this.node.readIndex(new TextEncoder().encode(ctx), { mode });
      } catch (e) {
        this.pointsRequested.delete(ctx);
        for (const w of ws) w.reject(e as Error);
      }
    }
  }

  hasWork(): boolean {
    if (this.closedWith) return false;
    const u = this.pointsUnrequested;
    return u.lease.length > 0 || u.safe.length > 0 || this.node.hasReady();
  }

  /** Takes the Ready, if any, and stages its writes into `batch`. */
  collect(batch: StoreBatch): CollectedReady | undefined {
    if (this.closedWith || !this.node.hasReady()) return undefined;
    const rd = this.node.ready();
    let confState = this.log.confState();
    if (rd.snapshot) {
      const meta = rd.snapshot.metadata;
      const data = this.receivedSnapshots.get(meta.index);
      assert(
        data !== undefined,
        `range ${this.rangeId}: Raft restored snapshot ${meta.index} whose data did not arrive`,
      );
      batch.installSnapshot(this.log, meta, this.spans, data);
      for (const index of [...this.receivedSnapshots.keys()])
        if (index <= meta.index) this.receivedSnapshots.delete(index);
      confState = meta.confState;
    }
    if (rd.entries.length > 0) batch.append(this.log, rd.entries);
    if (rd.hardState) batch.setHardState(this.log, rd.hardState);
    const applied: AppliedWrite[] = [];
    const confApplied: number[] = [];
    if (rd.committedEntries.length > 0) {
      const entries = rd.committedEntries;
      const base = confState;
      batch.apply(
        this.log,
        (w) => this.applyEntries(entries, base, w, applied, confApplied),
        !this.knobs.skipAppliedIndex,
      );
    }
    if (!rd.snapshot) this.maybeTruncate(batch);
    return { rd, applied, confApplied };
  }

  /** After the batch is durable: resolves writes, serves reads, advances Raft. Returns messages to send. */
  finish(c: CollectedReady): readonly Message[] {
    for (const a of c.applied) {
      const w = this.writes.get(a.key);
      if (!w) continue;
      this.writes.delete(a.key);
      w.resolve({ reply: a.reply, index: a.index });
    }
    for (const seq of c.confApplied) {
      const w = this.confWaiters.get(seq);
      if (!w) continue;
      this.confWaiters.delete(seq);
      w.resolve();
    }
    this.writesApplied += c.applied.length;
    const decoder = new TextDecoder();
    for (const rs of c.rd.readStates) {
      const ctx = decoder.decode(rs.requestCtx);
      const ws = this.pointsRequested.get(ctx);
      if (!ws) continue;
      this.pointsRequested.delete(ctx);
      for (const w of ws) w.resolve(rs.index);
    }
    this.node.advance(c.rd);
    this.serveApplied();
    if (c.rd.softState && c.rd.softState.lead === 0) this.failPointsInFlight();
    this.removed ||= this.wasRemoved(this.log.confState());
    return c.rd.messages;
  }

  /** Fails everything waiting, and every later call, with `error`. */
  close(error: TesseraError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    for (const w of this.writes.values()) w.reject(error);
    this.writes.clear();
    for (const w of this.confWaiters.values()) w.reject(error);
    this.confWaiters.clear();
    for (const w of [...this.pointsUnrequested.lease, ...this.pointsUnrequested.safe])
      w.reject(error);
    this.pointsUnrequested = { lease: [], safe: [] };
    for (const ws of this.pointsRequested.values()) for (const w of ws) w.reject(error);
    this.pointsRequested.clear();
    for (const g of this.appliedWaiters) for (const w of g.waiters) w.reject(error);
    this.appliedWaiters = [];
  }

  // --- observation ---------------------------------------------------------------

  get pendingWrites(): number {
    return this.writes.size + this.confWaiters.size;
  }

  get writesAppliedTotal(): number {
    return this.writesApplied;
  }

  get leaderId(): NodeId {
    return this.node.raft.lead;
  }

  get raftState(): StateType {
    return this.node.raft.state;
  }

  get term(): number {
    return this.node.raft.term;
  }

  get commitIndex(): LogIndex {
    return this.node.raft.raftLog.committed;
  }

  get appliedIndex(): LogIndex {
    return this.log.applied().index;
  }

  get lastIndex(): LogIndex {
    return this.node.raft.raftLog.lastIndex();
  }

  confState(): ConfState {
    return this.log.confState();
  }

  /** Whether a snapshot has given this replica state (an uninitialized one has no configuration). */
  get isInitialized(): boolean {
    const c = this.log.confState();
    return c.voters.length > 0 || c.learners.length > 0 || c.votersOutgoing.length > 0;
  }

  /** This replica applied a configuration that does not include it: it must go. */
  get isRemoved(): boolean {
    return this.removed;
  }

  get isClosed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Every member's progress (leader only; empty elsewhere). */
  progress(): ReadonlyMap<NodeId, ProgressStatus> {
    return this.node.status().progress;
  }

  /** Progress of the other members (leader only), for WAIT and INFO. */
  followerProgress(): { nodeId: NodeId; match: number; state: string }[] {
    if (this.node.raft.state !== "leader") return [];
    const out: { nodeId: NodeId; match: number; state: string }[] = [];
    for (const [id, pr] of this.progress()) {
      if (id !== this.nodeId) out.push({ nodeId: id, match: pr.match, state: pr.state });
    }
    return out;
  }

  /**
   * Ready to serve: a leader is known and this replica has applied its log —
   * as leader, up to an entry of its own term (its no-op), so everything
   * committed before it is applied; as follower, up to the commit index. Once
   * ready in a term it stays ready for that term while the leader stays known,
   * so the probe does not flap while apply trails commit under load.
   */
  isReady(): boolean {
    const raft = this.node.raft;
    if (raft.lead === 0) return false;
    if (this.readyTerm === raft.term) return true;
    const applied = this.log.applied();
    const caughtUp =
      raft.state === "leader"
        ? applied.term === raft.term
        : applied.index >= raft.raftLog.committed;
    if (caughtUp) this.readyTerm = raft.term;
    return caughtUp;
  }

  // --- internals -------------------------------------------------------------------

  /**
   * This replica leads a group whose only voter is itself and has applied an
   * entry of its own term. Then its applied state already reflects every
   * acknowledged write (writes are acknowledged only once applied here) and no
   * other leader can exist, so a linearizable read needs no read index round.
   */
  private leadsAlone(): boolean {
    const raft = this.node.raft;
    if (!this.localReadsWhenAlone) return false;
    if (raft.state !== "leader" || this.log.applied().term !== raft.term) return false;
    const conf = this.log.confState();
    return (
      conf.voters.length === 1 &&
      conf.voters[0] === this.nodeId &&
      conf.votersOutgoing.length === 0 &&
      conf.learners.length === 0
    );
  }

  private wasRemoved(c: ConfState): boolean {
    if (!this.isInitialized && c.voters.length === 0) return false;
    const member = (ids: readonly NodeId[]) => ids.includes(this.nodeId);
    return !(
      member(c.voters) ||
      member(c.learners) ||
      member(c.votersOutgoing) ||
      member(c.learnersNext)
    );
  }

  private applyEntries(
    entries: readonly Entry[],
    base: ConfState,
    w: KvWriter,
    out: AppliedWrite[],
    confOut: number[],
  ): AppliedState {
    let confState = base;
    let last: Entry | undefined;
    for (const e of entries) {
      last = e;
      if (e.type === "conf-change") {
        const cc = decodeConfChange(e.data);
        confState = this.node.applyConfChange(cc);
        const seq = this.ownConfChange(cc);
        if (seq !== undefined) confOut.push(seq);
        continue;
      }
      if (e.data.byteLength === 0) continue;
      const { id, cmd, stamp } = decodeProposal(e.data);
      const reply = applyWrite(cmd, stamp, w);
      // Only this process's proposals have waiters; the sequence keys them.
      if (id.incarnation !== this.incarnation) continue;
      if (this.knobs.ackBeforeSync) {
        // TEST-ONLY bug: acknowledge before the batch applying the entry is durable.
        const waiter = this.writes.get(id.sequence);
        this.writes.delete(id.sequence);
        waiter?.resolve({ reply, index: e.index });
        continue;
      }
      out.push({ key: id.sequence, reply, index: e.index });
    }
    assert(last !== undefined, "applying no entries");
    return { index: last.index, term: last.term, confState };
  }

  /** The sequence of a conf change this process proposed, if it is one. */
  private ownConfChange(cc: ConfChange): number | undefined {
    const ctx = cc.context;
    if (ctx?.byteLength !== 9 || ctx[0] !== CONF_CHANGE_TAG) return undefined;
    const view = new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
    return view.getUint32(1) === this.incarnation ? view.getUint32(5) : undefined;
  }

  /**
   * Truncates the log behind the slowest healthy follower's match, keeping
   * `logEntriesKeep` entries behind the applied index. A follower that is not
   * recently active, or more than `logEntriesKeep` behind, does not hold the
   * log back: it will get a snapshot. Runs only once twice `logEntriesKeep`
   * entries accumulated, so truncation is occasional.
   */
  private maybeTruncate(batch: StoreBatch): void {
    const applied = this.log.applied().index;
    const first = this.log.firstIndex();
    if (applied - first < 2 * this.logEntriesKeep) return;
    let target = applied - this.logEntriesKeep;
    if (this.node.raft.state === "leader") {
      for (const [id, pr] of this.progress()) {
        if (id === this.nodeId || !pr.recentActive || pr.state === "snapshot") continue;
        if (applied - pr.match > this.logEntriesKeep) continue;
        target = Math.min(target, pr.match);
      }
    }
    if (target < first) return;
    batch.truncate(this.log, logIndex(target));
  }

  private serveApplied(): void {
    const applied = this.log.applied().index;
    while (this.appliedWaiters.length > 0 && this.appliedWaiters[0]!.index <= applied) {
      const group = this.appliedWaiters.shift()!;
      for (const w of group.waiters) w.resolve();
    }
  }

  private failPointsInFlight(): void {
    for (const ws of this.pointsRequested.values()) {
      for (const w of ws)
        w.reject(new TesseraError("UNAVAILABLE", `range ${this.rangeId} lost its leader`));
    }
    this.pointsRequested.clear();
  }

  private execute(cmd: ReadCommand): KvReply {
    return executeRead(cmd, { nowMs: this.clock.nowMs() }, this.view);
  }

  private deadline(kind: "write" | "read"): number {
    const ms = kind === "write" ? this.limits.proposalTimeoutMs : this.limits.readTimeoutMs;
    return this.clock.monotonicMs() + ms;
  }

  private checkOpen(): void {
    if (this.closedWith) throw this.closedWith;
  }

  private checkLeader(): void {
    const raft = this.node.raft;
    if (raft.state === "leader") return;
    if (raft.lead === 0)
      throw new TesseraError("UNAVAILABLE", `range ${this.rangeId} has no leader`);
    throw new TesseraError("NOT_LEADER", `range ${this.rangeId} is led by node ${raft.lead}`, {
      leader: raft.lead,
    });
  }

  private nextSequence(): number {
    this.sequence = (this.sequence + 1) % 0x1_0000_0000;
    return this.sequence;
  }

  private pointsInFlight(): number {
    let n = 0;
    for (const ws of this.pointsRequested.values()) n += ws.length;
    return n;
  }
}

function partition<T>(items: readonly T[], pred: (t: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const t of items) (pred(t) ? yes : no).push(t);
  return [yes, no];
}
