/**
 * `Replica`: this node's member of one range's Raft group — a `RawNode` over
 * the range's `RangeLogStorage`, with the kv state machine applied to the
 * store's user data.
 *
 * Writes: the leader stamps a command with its HLC time, proposes it (entry
 * data: see proposal.ts) and keeps a pending promise under the proposal id;
 * the promise resolves with the reply `applyWrite` produced once the entry is
 * applied, as soon as the transaction applying it ran (`answerApplied`: the
 * entry itself is durable on a quorum by then). Reads: `any` reads
 * the local state; the others first take a read point (`readPoint`: a lease
 * read for `strong`, a ReadIndex round for the rest, Raft thesis §6.4) and are
 * served once the replica has applied it — except on a leader that is its
 * group's only voter, whose applied state is already linearizable.
 *
 * Membership: committed conf changes are applied in the batch that applies
 * them, and the new ConfState is persisted with the applied index. A replica
 * that learns it is no longer a member reports `isRemoved`; the scheduler then
 * destroys it. One that led when it applied its removal lingers first, for the
 * voters left (`Lingering`). Snapshots arrive whole (snapshot-receiver.ts) and are installed
 * in one batch when Raft hands them back in a Ready.
 *
 * The scheduler drives the replica: `collect` takes a Ready and stages its
 * writes into a shared StoreBatch; once that batch is committed, `finish`
 * resolves the waiters, serves reads and advances the RawNode, returning the
 * messages for other nodes. An idle range sleeps (quiesce.ts): its leader
 * stops ticking it and tells the followers to stop too; anything to do wakes
 * the replica (`wake`), and a waking leader forgets its lease.
 *
 * Bounds: at most `proposalsPendingMax` writes and as many reads wait at once
 * (LIMIT_EXCEEDED past it); a proposal is at most `proposalBytesMax` bytes; a
 * write or read that waits longer than its timeout fails with TIMEOUT.
 */
import {
  addCounters,
  applyWrite,
  error as errorReply,
  executeRead,
  type KvReply,
  keyspaceStats,
  type ReadCommand,
  type WriteCommand,
} from "../kv/index.js";
import {
  assert,
  type Clock,
  decodeDataKey,
  decodeRecord,
  equalBytes,
  expiryIndexBounds,
  expiryIndexKey,
  type HlcClock,
  hlcPhysicalMs,
  type KeyspaceId,
  type LogIndex,
  logIndex,
  type NodeId,
  type RangeId,
  rangeDescriptorKey,
  rangeFrozenKey,
  rangeLocalBounds,
  rangeMergeLockKey,
  rangeTombstoneKey,
  TesseraError,
  rangeId as toRangeId,
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
  type StateType,
} from "../raft/index.js";
import {
  type AppliedState,
  encodeLingeringTerm,
  type KvView,
  type KvWriter,
  lingeringRangeKey,
  type RangeLogStorage,
  type StoreBatch,
} from "../storage/index.js";
import { checkCommandKeys, commandInSpan } from "./command-keys.js";
import {
  decodeDescriptor,
  descriptorSpans,
  encodeDescriptor,
  type RangeDescriptor,
  splitKeyProblem,
} from "./descriptor.js";
import type { TestingKnobs } from "./host-types.js";
import {
  decodeProposal,
  decodeRangeOp,
  decodeSplitProposal,
  encodeProposal,
  encodeRangeOp,
  encodeSplitProposal,
  type ProposalId,
  proposalKind,
  type RangeOp,
  type SplitRequest,
} from "./proposal.js";
import {
  canFollowerQuiesce,
  canLeaderQuiesce,
  forgetLeaseOnWake,
  leaderPresumedDown,
  otherMembers,
  QUIESCE_IDLE_TICKS,
  quiesceHeartbeats,
} from "./quiesce.js";
import type { ReplicaLimits, ReplicaOptions } from "./replica-options.js";
import type { Span } from "./routing.js";
import { RangeScopedView } from "./scoped-view.js";
import type { IncomingSnapshot } from "./snapshot-receiver.js";
import type { ReadConsistency, WriteResult } from "./types.js";

interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (e: Error) => void;
  readonly deadlineMs: number;
}

/** A write waiting for its entry to apply. */
interface WriteWaiter extends Waiter<WriteResult> {
  /**
   * Where this leader appended its entry: only that entry, at that index,
   * applies it. `Infinity` while the write waits in `proposalBuffer`.
   */
  index: number;
}

/** A kv write accepted by `write`, to be proposed with the others of its round. */
interface BufferedProposal {
  readonly sequence: number;
  readonly data: Uint8Array;
}

type ReadMode = "lease" | "safe";

/**
 * A replica that applied its own removal while it led the range lingers
 * before it goes: the voters left may not know yet that the change committed,
 * and until they do they count it in their quorum (with two voters left one,
 * the last one can elect no leader without its vote). Raft hands the
 * leadership over (`stepDownOnRemoval`); the replica keeps answering, as a
 * follower, until a new leader of a later term has led for
 * `LINGER_NEW_LEADER_ELECTIONS` election timeouts (time to have its first
 * entry acknowledged, which commits the removal), or at most
 * `LINGER_MAX_ELECTIONS` election timeouts.
 */
interface Lingering {
  /** The term in which it applied its removal. */
  readonly term: number;
  ticks: number;
  ticksUnderNewLeader: number;
}

const LINGER_NEW_LEADER_ELECTIONS = 2;
const LINGER_MAX_ELECTIONS = 120;

interface AppliedWrite {
  readonly key: number;
  readonly reply: KvReply;
  readonly index: LogIndex;
  /** A kv write, answered as soon as its apply ran (see `answerApplied`). */
  readonly early: boolean;
}

/** What `collect` took from Raft, handed back to `finish` after the commit. */
export interface CollectedReady {
  readonly rd: Ready;
  /**
   * A leader's appends, which may go out before this batch is durable (Raft
   * thesis §10.2.1; etcd's server does the same): the leader's own write then
   * runs in parallel with its followers'. Safe because a follower acknowledges
   * only what it persisted, and the leader counts an entry committed, applies
   * it and tells anyone so only in a later round, after this batch is durable;
   * and only when the Ready leaves the term and vote as they are durably.
   */
  readonly early: readonly Message[];
  /** The rest of the Ready's messages: sent once the batch is durable. */
  readonly late: readonly Message[];
  readonly applied: AppliedWrite[];
  readonly confApplied: number[];
  /** Whether Raft led when the Ready was taken (its apply runs later, in the commit). */
  readonly leading: boolean;
  /** The range's descriptor or members may have changed (snapshot, conf change, split). */
  readonly shapeChanged: boolean;
  /** Set by the apply (inside the commit): whether it may have added to the expiry index. */
  readonly effects: ApplyEffects;
}

/** What an apply did that the replica's background work needs to know. */
interface ApplyEffects {
  /** An expiry index entry may have been written (see `Replica.expiryEpoch`). */
  expiryWritten: boolean;
}

const LOG_ENTRIES_KEEP_DEFAULT = 10_000;
const LOG_BYTES_KEEP_DEFAULT = 16 * 1024 * 1024;
/** Marks of the log's size are this fraction of `logBytesKeep` apart. */
const LOG_MARKS_PER_KEEP = 8;
const CONF_CHANGE_TAG = 0xcc;
const READ_CTX_DECODER = new TextDecoder();
/** Snapshots a replica keeps received and not yet installed. */
const SNAPSHOTS_KEPT_MAX = 4;

/** A split this replica applied: the new right-hand range, to be started by the host. */
export interface AppliedSplit {
  readonly right: RangeDescriptor;
  readonly confState: ConfState;
}

/** A merge this replica applied: the right-hand range it absorbed is gone from this store. */
export interface AppliedMerge {
  readonly right: RangeId;
}

const NO_MESSAGES: readonly Message[] = [];
const isAppend = (m: Message) => m.type === "MsgApp";

export class Replica {
  readonly rangeId: RangeId;
  readonly nodeId: NodeId;
  private readonly node: RawNode;
  private readonly log: RangeLogStorage;
  /** This range's part of it (scoped-view.ts): what the kv state machine reads. */
  readonly view: KvView;
  /** The span this replica owns as of its applied index; undefined before its first snapshot. */
  private desc: RangeDescriptor | undefined;
  private readonly onSplit: (split: AppliedSplit) => void;
  private readonly onMergeRan: (merge: AppliedMerge) => void;
  private readonly onMerge: (merge: AppliedMerge) => void;
  /** Set while this range is frozen for a merge into another (it refuses writes). */
  private frozen: { into: RangeId; sinceMs: number } | undefined;
  /** Set while this range is absorbing its right neighbour (no membership change, no split). */
  private mergeLock: { right: RangeId; sinceMs: number } | undefined;
  private readonly onShapeChange: () => void;
  private readonly onLeaderChange: () => void;
  private readonly clock: Clock;
  private readonly hlc: HlcClock;
  private readonly limits: ReplicaLimits;
  /** Asks the scheduler for a round (see `wake` for the one that also keeps this replica awake). */
  private readonly wakeScheduler: () => void;
  private readonly catchUpTicks: () => void;
  private readonly logEntriesKeep: number;
  private readonly logBytesKeep: number;
  /** Bytes of entries appended to the log since this replica started. */
  private logBytes = 0;
  /**
   * `logBytes` as it stood after appending entry `index`, about every
   * `logBytesKeep / LOG_MARKS_PER_KEEP` bytes, oldest first: how truncation
   * by size finds where to cut.
   */
  private logMarks: { readonly index: number; readonly bytes: number }[] = [];
  private readonly localReadsWhenAlone: boolean;
  private readonly knobs: TestingKnobs;
  private readonly incarnation: number;
  private sequence = 0;
  private readonly writes = new Map<number, WriteWaiter>();
  /**
   * The kv writes accepted since the last Ready, proposed together when the
   * scheduler collects this replica (`proposeBuffered`): one Raft proposal of
   * many entries, so the leader sends each follower one append for all of
   * them, and each follower answers once, where a proposal per write made an
   * append and a response per write and per follower (4 Raft messages per
   * write on 3 voters). Nothing waits longer for it: appends only leave with
   * the next Ready anyway. (CockroachDB's proposal buffer does the same.)
   */
  private proposalBuffer: BufferedProposal[] = [];
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
  private readonly receivedSnapshots = new Map<LogIndex, IncomingSnapshot>();
  private closedWith: TesseraError | undefined;
  private writesApplied = 0;
  /** See `expiryEpoch`. */
  private expiryWrites = 0;
  private readsServed = 0;
  private removed = false;
  private membershipChecked = false;
  /** The highest index of a write answered here (maybe before its apply was durable). */
  private answeredIndex = 0;
  /** Set while this replica, removed from its range while leading, stays for the voters left. */
  private lingering: Lingering | undefined;
  /** Whether the store holds this replica's lingering record (storage removed-ranges.ts). */
  private lingeringRecorded = false;
  /** The term in which this replica was last found ready (see isReady). */
  private readyTerm = -1;
  /** Asleep: the scheduler does not tick this replica (quiesce.ts). */
  private quiesced = false;
  /** Ticks in a row this leader found its range idle (it quiesces at QUIESCE_IDLE_TICKS). */
  private quietTicks = 0;
  /** When a message was last stepped here (monotonic ms; creation counts as one). */
  private heardMs: number;

  constructor(options: ReplicaOptions) {
    this.rangeId = options.rangeId;
    this.nodeId = options.nodeId;
    this.log = options.log;
    this.desc = readDescriptor(options.view, options.rangeId);
    this.view = new RangeScopedView(options.view, {
      rangeId: options.rangeId,
      span: () => this.span(),
    });
    this.onSplit = options.onSplit ?? (() => {});
    this.onMergeRan = options.onMergeRan ?? (() => {});
    this.onMerge = options.onMerge ?? (() => {});
    const frozenRaw = options.view.get(rangeFrozenKey(options.rangeId));
    if (frozenRaw !== undefined)
      this.frozen = { into: decodeFrozen(frozenRaw), sinceMs: options.clock.monotonicMs() };
    const lockRaw = options.view.get(rangeMergeLockKey(options.rangeId));
    if (lockRaw !== undefined)
      this.mergeLock = { right: decodeFrozen(lockRaw), sinceMs: options.clock.monotonicMs() };
    this.onShapeChange = options.onShapeChange ?? (() => {});
    this.onLeaderChange = options.onLeaderChange ?? (() => {});
    this.clock = options.clock;
    this.heardMs = options.clock.monotonicMs();
    this.hlc = options.hlc;
    this.limits = options.limits;
    this.wakeScheduler = options.wake;
    this.catchUpTicks = options.catchUpTicks;
    this.logEntriesKeep = options.logEntriesKeep ?? LOG_ENTRIES_KEEP_DEFAULT;
    this.logBytesKeep = options.logBytesKeep ?? LOG_BYTES_KEEP_DEFAULT;
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
        // A range among many takes about one write per store round: a commit-only
        // append per write would double what each follower receives and does.
        commitOnHeartbeat: true,
        // Busy ranges' appends do their heartbeats' work: with many ranges busy at
        // once, heartbeats would otherwise make as many messages as the writes.
        skipHeartbeatsWhileAppending: true,
        readOnlyOption: "safe",
        rng: options.rng,
        ...(options.voteFloor ? { voteFloor: options.voteFloor } : {}),
      },
      options.log,
    );
    if (options.lingeringTerm !== undefined) {
      // It stopped while it lingered: it lingers again, a restart telling it
      // no more than before whether the voters left have learnt of its removal.
      this.lingeringRecorded = true;
      if (this.wasRemoved(options.log.confState()))
        this.lingering = { term: options.lingeringTerm, ticks: 0, ticksUnderNewLeader: 0 };
    }
  }

  /** Campaigns now (a range just born from a split, on the node that led its parent). */
  campaign(): void {
    if (this.closedWith || this.node.raft.state === "leader") return;
    if (!this.log.confState().voters.includes(this.nodeId)) return;
    this.node.campaign();
    this.wake();
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
      this.checkSpan(cmd);
      this.checkNotFrozen();
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
      const promise = new Promise<WriteResult>((resolve, reject) => {
        this.writes.set(id.sequence, {
          resolve,
          reject,
          index: Number.POSITIVE_INFINITY,
          deadlineMs: this.deadline("write"),
        });
      });
      this.proposalBuffer.push({ sequence: id.sequence, data });
      this.wake();
      return promise;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Reads at `consistency`: `any` locally, the others at a read point. */
  async read(cmd: ReadCommand, consistency: ReadConsistency): Promise<KvReply> {
    this.checkOpen();
    this.checkSpan(cmd);
    if (consistency === "any" || this.leadsAlone()) {
      // Not before the writes answered here are durably applied (answerApplied).
      if (this.log.applied().index < this.answeredIndex)
        await this.waitApplied(logIndex(this.answeredIndex));
      return this.execute(cmd);
    }
    const point = await this.readPoint(consistency === "strong" ? "lease" : "safe");
    await this.waitApplied(point);
    // A split applied meanwhile may have handed the key to another range.
    this.checkSpan(cmd);
    return this.execute(cmd);
  }

  /** Serves `cmd` once this replica has applied `index` (the `all` level's per-replica read). */
  async readAt(cmd: ReadCommand, index: LogIndex): Promise<KvReply> {
    this.checkOpen();
    await this.waitApplied(index);
    this.checkSpan(cmd);
    return this.execute(cmd);
  }

  /**
   * Splits this range at `splitKey` (leader only): the keys from `splitKey`
   * on become range `rightId`, with the same replicas. One Raft entry does
   * it, applied on every replica at the same log position; resolves with the
   * two descriptors once applied here. `generation` must be the range's
   * current one (a split planned on a stale view is refused).
   */
  split(
    rightId: RangeId,
    splitKey: Uint8Array,
    generation: number,
    sticky = false,
  ): Promise<{ left: RangeDescriptor; right: RangeDescriptor }> {
    try {
      this.checkOpen();
      this.checkLeader();
      const desc = this.descriptor;
      if (desc.generation !== generation)
        throw new TesseraError(
          "RANGE_MISMATCH",
          `range ${this.rangeId} is at generation ${desc.generation}, not ${generation}`,
        );
      const problem = splitKeyProblem(desc, splitKey);
      if (problem)
        throw new TesseraError(
          "INVALID_ARGUMENT",
          `cannot split range ${this.rangeId}: ${problem}`,
        );
      const id: ProposalId = { incarnation: this.incarnation, sequence: this.nextSequence() };
      const promise = this.proposeWrite(
        id,
        encodeSplitProposal(id, { rightId, splitKey, generation, sticky }),
      );
      return promise.then((res) => {
        if (res.reply.t === "error") throw new TesseraError(res.reply.code, res.reply.message);
        const left = this.descriptor;
        const right = decodeDescriptor((res.reply as { v: Uint8Array }).v);
        return { left: { ...left, end: right.start, generation: right.generation }, right };
      });
    } catch (e) {
      return Promise.reject(e);
    }
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
      if (mode === "lease") {
        // A leader whose lease holds answers at once, as its next Ready would,
        // without a scheduler round: with many ranges, reads spread over them
        // would otherwise cost a Raft Ready each. Woken first: a sleeping
        // leader forgets its lease as it wakes. The lease counts ticks, so the
        // ticks the clock says are due run first (a process stopped for seconds
        // reads its clients' requests before its late tick timer fires).
        this.quietTicks = 0;
        if (this.quiesced) this.unquiesce();
        this.catchUpTicks();
        const index = this.node.raft.leaseReadIndex();
        if (index !== undefined) return Promise.resolve(index);
      }
      const promise = new Promise<LogIndex>((resolve, reject) => {
        this.pointsUnrequested[mode].push({ resolve, reject, deadlineMs: this.deadline("read") });
      });
      this.wake();
      return promise;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Resolves once every write answered here is durably applied (see `answerApplied`). */
  settled(): Promise<void> {
    if (this.closedWith || this.log.applied().index >= this.answeredIndex) return Promise.resolve();
    return this.waitApplied(logIndex(this.answeredIndex)).catch(() => {});
  }

  /** Resolves once this replica has applied `index`. */
  waitApplied(index: LogIndex): Promise<void> {
    if (this.log.applied().index >= index) return Promise.resolve();
    const promise = new Promise<void>((resolve, reject) => {
      const w = { resolve, reject, deadlineMs: this.deadline("read") };
      let i = this.appliedWaiters.findIndex((g) => g.index >= index);
      if (i < 0) i = this.appliedWaiters.length;
      const group = this.appliedWaiters[i];
      if (group && group.index === index) group.waiters.push(w);
      else this.appliedWaiters.splice(i, 0, { index, waiters: [w] });
    });
    // A waiter's deadline is checked on ticks: a sleeping replica wakes.
    this.wake();
    return promise;
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
      this.checkNotFrozen();
      this.checkNotLocked();
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

  /**
   * Proposes a range operation of a merge (leader only) and resolves with the
   * index it was applied at; a refusal at apply rejects with its error.
   */
  proposeRangeOp(op: RangeOp): Promise<LogIndex> {
    try {
      this.checkOpen();
      this.checkLeader();
      const id: ProposalId = { incarnation: this.incarnation, sequence: this.nextSequence() };
      const promise = this.proposeWrite(id, encodeRangeOp(id, op));
      return promise.then((res) => {
        if (res.reply.t === "error") throw new TesseraError(res.reply.code, res.reply.message);
        return logIndex(res.index);
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** The range this one is absorbing, if a merge holds its lock. */
  get mergeLockOn(): { readonly right: RangeId; readonly sinceMs: number } | undefined {
    return this.mergeLock;
  }

  /** The range this one is frozen to merge into, if it is. */
  get frozenInto(): { readonly into: RangeId; readonly sinceMs: number } | undefined {
    return this.frozen;
  }

  /** Whether a configuration change is proposed and not yet applied. */
  get confChangePending(): boolean {
    return this.node.raft.pendingConfIndex > this.log.applied().index;
  }

  /** Asks Raft to hand leadership to `to` (leader only; the outcome shows in `leaderId`). */
  transferLeader(to: NodeId): void {
    this.checkOpen();
    this.checkLeader();
    this.node.transferLeader(to);
    this.wake();
  }

  // --- driven by the scheduler and the transport --------------------------------

  /**
   * Steps a Raft message from another node. Any message wakes a sleeping
   * replica (before it is stepped, so a waking leader forgets its lease
   * first) and counts as activity, except the leader's quiesce heartbeat,
   * which may put a follower to sleep, and heartbeat responses.
   */
  step(m: Message): void {
    if (this.closedWith) return;
    if (m.type === "MsgHeartbeat" && m.commit > 0 && !this.isInitialized) {
      // A leader sends a heartbeat a commit index only up to what it believes
      // the follower holds, so one with a commit index for a replica holding
      // nothing is stale: meant for this node's earlier replica, since removed
      // (or merged away) and destroyed, from a leader that has not applied that
      // yet. Raft would take it for a lost log. Dropping a message is safe.
      return;
    }
    this.heardMs = this.clock.monotonicMs();
    if (m.type === "MsgHeartbeat" && m.quiesce === true) {
      this.stepRaft(m);
      // A lingering replica must tick on to its end.
      if (!this.lingering && canFollowerQuiesce(this.node, m, this.waiterCount())) {
        this.quiesced = true;
        this.wakeScheduler();
      } else {
        this.wake();
      }
      return;
    }
    if (m.type === "MsgHeartbeatResp") {
      // An answer to a heartbeat is not activity: it keeps no idle leader
      // awake, and wakes a sleeping one only if it leaves Raft work to do.
      this.stepRaft(m);
      if (!this.quiesced) this.wakeScheduler();
      else if (this.node.hasReady()) this.wake();
      return;
    }
    this.wake();
    this.stepRaft(m);
  }

  private stepRaft(m: Message): void {
    try {
      this.node.step(m);
    } catch (e) {
      // A forwarded proposal the leader refuses: the proposer times out and retries.
      if (!(e instanceof TesseraError)) throw e;
    }
  }

  /**
   * A snapshot arrived whole: keeps it (staged) and steps its MsgSnap into
   * Raft. The replica owns it from here: it discards what it does not install.
   */
  stepSnapshot(from: NodeId, msgTerm: number, snapshot: IncomingSnapshot): void {
    const meta = snapshot.meta;
    if (this.closedWith) {
      snapshot.discard();
      return;
    }
    this.receivedSnapshots.get(meta.index)?.discard();
    this.receivedSnapshots.set(meta.index, snapshot);
    while (this.receivedSnapshots.size > SNAPSHOTS_KEPT_MAX) {
      const oldest = Math.min(...this.receivedSnapshots.keys()) as LogIndex;
      this.receivedSnapshots.get(oldest)?.discard();
      this.receivedSnapshots.delete(oldest);
    }
    this.step({
      type: "MsgSnap",
      from,
      to: this.nodeId,
      term: msgTerm as Message["term"],
      snapshot: { data: new Uint8Array(), metadata: meta },
    });
    if (
      snapshot.prewritten &&
      this.node.raft.raftLog.unstable.snapshot?.metadata.index !== meta.index
    ) {
      // Raft refused it (a stale term): its data, written ahead, is cleared now
      // rather than held until another snapshot pushes it out.
      this.receivedSnapshots.delete(meta.index);
      snapshot.discard();
    }
  }

  /** Whether a snapshot arrived here and is not installed yet (or Raft has one to install). */
  get hasPendingSnapshot(): boolean {
    return (
      this.receivedSnapshots.size > 0 || this.node.raft.raftLog.unstable.snapshot !== undefined
    );
  }

  reportUnreachable(id: NodeId): void {
    if (this.closedWith) return;
    if (this.quiesced) {
      // Nothing is in flight in a sleeping range: only the loss of its leader matters.
      if (this.node.raft.state === "leader" || this.node.raft.lead !== id) return;
      this.wake();
    }
    this.node.reportUnreachable(id);
    // Not activity: a peer being down keeps no idle range awake.
    this.wakeScheduler();
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    if (this.closedWith) return;
    this.node.reportSnapshot(id, ok ? "finish" : "failure");
    this.wake();
  }

  /**
   * One Raft tick; also fails waiters past their deadline. A leader whose
   * range has been idle for `QUIESCE_IDLE_TICKS` ticks goes to sleep instead
   * (quiesce.ts) and returns the quiesce heartbeats to send; the scheduler
   * ticks it no more until something wakes it.
   */
  tick(): readonly Message[] {
    if (this.closedWith || this.quiesced) return [];
    if (this.lingering) this.linger(this.lingering);
    // Checked before ticking: a tick makes a heartbeat, and a leader with
    // messages to send is not idle.
    if (this.maybeQuiesce()) return quiesceHeartbeats(this.node);
    this.node.tick();
    const idle =
      this.writes.size === 0 &&
      this.confWaiters.size === 0 &&
      this.pointsRequested.size === 0 &&
      this.appliedWaiters.length === 0;
    if (idle) return [];
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
    return [];
  }

  /** One tick of a removed leader's lingering (see `Lingering`); it ends in `isRemoved`. */
  private linger(l: Lingering): void {
    if (!this.wasRemoved(this.log.confState())) {
      // Added back while it lingered (a later change counts it again): it
      // stays, a member like any other, and must not drop the replica its
      // range now counts on.
      this.lingering = undefined;
      return;
    }
    const raft = this.node.raft;
    l.ticks++;
    if (raft.lead !== 0 && raft.lead !== this.nodeId && raft.term > l.term) l.ticksUnderNewLeader++;
    const election = raft.config.electionTick;
    if (
      l.ticksUnderNewLeader >= LINGER_NEW_LEADER_ELECTIONS * election ||
      l.ticks >= LINGER_MAX_ELECTIONS * election
    ) {
      this.lingering = undefined;
      this.removed = true;
      this.wakeScheduler();
    }
  }

  /**
   * Wakes this replica if it sleeps (quiesce.ts): the scheduler ticks it
   * again. `leaderSilent`: its leader's node has not been heard from for an
   * election timeout, so a follower counts that timeout as passed (its tick
   * count stood still while it slept) and may campaign, and grant votes, at
   * once instead of one timeout later.
   */
  unquiesce(opts?: { readonly leaderSilent?: boolean }): void {
    if (!this.quiesced) return;
    this.quiesced = false;
    this.quietTicks = 0;
    forgetLeaseOnWake(this.node);
    if (opts?.leaderSilent) leaderPresumedDown(this.node);
    this.wakeScheduler();
  }

  /**
   * The heartbeats (a leader's) and heartbeat responses (a follower's) Raft
   * has waiting, taken to be sent at once: the scheduler sends them when a
   * tick finds its store round still waiting for a commit, so that a slow
   * disk delays no heartbeat by more than a tick and elects no new leader.
   * Only while the term and vote they carry are durable; otherwise they wait
   * for the Ready that persists them.
   */
  takeHeartbeats(): readonly Message[] {
    if (this.closedWith) return NO_MESSAGES;
    const stored = this.log.hardState();
    const raft = this.node.raft;
    if (raft.term !== stored.term || raft.vote !== stored.vote) return NO_MESSAGES;
    return this.node.takeHeartbeats();
  }

  /** Whether this replica sleeps: the scheduler does not tick it. */
  get isQuiesced(): boolean {
    return this.quiesced;
  }

  /** The leader a sleeping follower waits on (0 when this replica leads). */
  get quiescedLeader(): NodeId {
    return this.node.raft.state === "leader" ? (0 as NodeId) : this.node.raft.lead;
  }

  /** The range's other members, as this replica's configuration has them. */
  otherMembers(): NodeId[] {
    return otherMembers(this.log.confState(), this.nodeId);
  }

  /** Something is to be done: wakes this replica if it sleeps, and asks for a round. */
  private wake(): void {
    this.quietTicks = 0;
    if (this.quiesced) this.unquiesce();
    else this.wakeScheduler();
  }

  /** Counts an idle tick of a leader; true once the range has been idle long enough to sleep. */
  private maybeQuiesce(): boolean {
    if (this.node.raft.state !== "leader") {
      this.quietTicks = 0;
      return false;
    }
    const applied = this.log.applied();
    const idle =
      !this.removed &&
      canLeaderQuiesce(this.node, {
        waiters: this.waiterCount(),
        appliedIndex: applied.index,
        appliedTerm: applied.term,
        confState: applied.confState,
      });
    if (!idle) {
      this.quietTicks = 0;
      return false;
    }
    if (++this.quietTicks < QUIESCE_IDLE_TICKS) return false;
    this.quiesced = true;
    return true;
  }

  /** Everything that waits on this replica (a replica with waiters must tick: deadlines). */
  private waiterCount(): number {
    return (
      this.writes.size +
      this.confWaiters.size +
      this.pointsUnrequested.lease.length +
      this.pointsUnrequested.safe.length +
      this.pointsRequested.size +
      this.appliedWaiters.length
    );
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
    return (
      u.lease.length > 0 ||
      u.safe.length > 0 ||
      this.proposalBuffer.length > 0 ||
      this.node.hasReady()
    );
  }

  /** Proposes the buffered writes, then takes the Ready, if any, and stages its writes into `batch`. */
  collect(batch: StoreBatch): CollectedReady | undefined {
    if (this.closedWith) return undefined;
    if (this.lingeringRecorded && !this.lingering && !this.removed) {
      // Its lingering ended with the replica kept (added back meanwhile).
      this.lingeringRecorded = false;
      batch.write(({ dbs }) => dbs.meta.remove(lingeringRangeKey(this.rangeId)));
    }
    this.proposeBuffered();
    if (!this.node.hasReady()) return undefined;
    const rd = this.node.ready();
    let confState = this.log.confState();
    if (rd.snapshot) {
      const meta = rd.snapshot.metadata;
      const data = this.receivedSnapshots.get(meta.index);
      assert(
        data !== undefined,
        `range ${this.rangeId}: Raft restored snapshot ${meta.index} whose data did not arrive`,
      );
      this.receivedSnapshots.delete(meta.index);
      const incoming = snapshotDescriptor(this.rangeId, data);
      if (data.prewritten) {
        // Its data is in its span already (written ahead, span-work.ts): the
        // install makes it the range's. This replica owned nothing before.
        assert(!this.isInitialized, `range ${this.rangeId}: a snapshot written ahead over state`);
        batch.installSnapshot(this.log, meta, [], [], data.prewritten);
      } else {
        // The old span goes too: the range may have split since this replica's state.
        // The staged stream is read inside the batch's transaction, and freed after it.
        batch.installSnapshot(
          this.log,
          meta,
          [...this.spans, ...descriptorSpans(incoming)],
          data.entries(),
        );
      }
      const frozenRaw = data.record(rangeFrozenKey(this.rangeId));
      const lockRaw = data.record(rangeMergeLockKey(this.rangeId));
      batch.write(
        () => {},
        () => {
          data.markInstalled?.();
          data.discard();
        },
      );
      batch.write(() => {
        // Everything the replica keeps in memory of its state comes from the snapshot.
        this.desc = incoming;
        const now = this.clock.monotonicMs();
        this.frozen =
          frozenRaw === undefined ? undefined : { into: decodeFrozen(frozenRaw), sinceMs: now };
        this.mergeLock =
          lockRaw === undefined ? undefined : { right: decodeFrozen(lockRaw), sinceMs: now };
      });
      for (const [index, older] of [...this.receivedSnapshots]) {
        if (index > meta.index) continue;
        older.discard();
        this.receivedSnapshots.delete(index);
      }
      confState = meta.confState;
    }
    if (rd.entries.length > 0) {
      batch.append(this.log, rd.entries);
      this.noteAppended(rd.entries);
    }
    // Only a new term or vote must be durable: Raft's commit index is volatile
    // state (a restart learns it again from the leader, and the store lifts it
    // to the applied index on load, log-storage.ts), so a Ready that moves
    // nothing but the commit index writes no hard state. Most Readies of a busy
    // range are such (with many ranges, about one per write on every replica).
    const stored = this.log.hardState();
    if (rd.hardState && (rd.hardState.term !== stored.term || rd.hardState.vote !== stored.vote))
      batch.setHardState(this.log, rd.hardState);
    const applied: AppliedWrite[] = [];
    const confApplied: number[] = [];
    // A snapshot brings a whole new state, expiries included.
    const effects: ApplyEffects = { expiryWritten: rd.snapshot !== undefined };
    // What kinds of entries this Ready applies, in one pass (most are kv writes).
    let hasSplit = false;
    let hasRangeOp = false;
    let hasConfChange = false;
    for (const e of rd.committedEntries) {
      if (e.type !== "normal") hasConfChange = true;
      else if (e.data.byteLength > 0) {
        const kind = proposalKind(e.data);
        if (kind === "split") hasSplit = true;
        else if (kind === "range-op") hasRangeOp = true;
      }
    }
    if (rd.committedEntries.length > 0) {
      const entries = rd.committedEntries;
      const base = confState;
      const splits: AppliedSplit[] = [];
      const merges: AppliedMerge[] = [];
      let reached: AppliedState | undefined;
      batch.apply(
        this.log,
        (w) => {
          reached = this.applyEntries(
            entries,
            base,
            w,
            applied,
            confApplied,
            splits,
            merges,
            effects,
          );
          return reached;
        },
        !this.knobs.skipAppliedIndex,
      );
      if (hasConfChange && this.node.raft.state === "leader") {
        // A leader that applies its own removal lingers (`finish`); the record
        // of it is durable with the removal, so a restart lingers again.
        const t = this.node.raft.term;
        let recorded = false;
        batch.write(
          ({ dbs }) => {
            if (reached === undefined || !this.wasRemoved(reached.confState)) return;
            dbs.meta.put(lingeringRangeKey(this.rangeId), encodeLingeringTerm(t));
            recorded = true;
          },
          () => {
            if (recorded) this.lingeringRecorded = true;
          },
        );
      }
      batch.whenRan(() => {
        // Counted as they are answered (the load meter and tests see them then).
        this.writesApplied += applied.length;
        if (this.writes.size > 0) this.answerApplied(applied, true);
      });
      if (hasRangeOp) {
        batch.write(
          (txn) => {
            for (const m of merges) batch.dropMergedRange(txn, m.right);
          },
          () => {
            for (const m of merges) this.onMerge(m);
          },
        );
        batch.whenRan(() => {
          for (const m of merges) this.onMergeRan(m);
        });
      }
      if (hasSplit) {
        // Runs in the same transaction, after the apply: the right-hand ranges'
        // Raft state is created atomically with the split.
        batch.write(
          (txn) => {
            for (const sp of splits) batch.createSplitRange(txn, sp.right.rangeId, sp.confState);
          },
          () => {
            for (const sp of splits) this.onSplit(sp);
          },
        );
      }
    }
    if (!rd.snapshot) this.maybeTruncate(batch);
    const shapeChanged = rd.snapshot !== undefined || hasConfChange || hasSplit;
    // Not when this Ready also moves the term or vote: a leader elected in this
    // very Ready (a lone voter with learners) must not speak for a term it may
    // forget in a crash, or it could lead that term twice with different entries.
    const sameTerm =
      rd.hardState === undefined ||
      (rd.hardState.term === stored.term && rd.hardState.vote === stored.vote);
    const leading = this.node.raft.state === "leader" && sameTerm;
    let early: readonly Message[] = NO_MESSAGES;
    let late = rd.messages;
    if (leading && rd.messages.some(isAppend)) {
      early = rd.messages.filter(isAppend);
      late = rd.messages.filter((m) => !isAppend(m));
    }
    return {
      rd,
      applied,
      confApplied,
      leading: this.node.raft.state === "leader",
      shapeChanged,
      early,
      late,
      effects,
    };
  }

  /**
   * After the batch is durable: resolves the writes not answered yet (splits,
   * range operations), serves reads, advances Raft. Returns messages to send.
   */
  finish(c: CollectedReady): readonly Message[] {
    this.answerApplied(c.applied, false);
    for (const seq of c.confApplied) {
      const w = this.confWaiters.get(seq);
      if (!w) continue;
      this.confWaiters.delete(seq);
      w.resolve();
    }
    if (this.writes.size > 0 && (c.rd.snapshot || c.rd.committedEntries.length > 0)) {
      this.failSuperseded(
        c.rd.snapshot?.metadata.index ?? 0,
        c.rd.committedEntries.at(-1)?.index ?? 0,
      );
    }
    // Counted once the batch is durable: the expirer reads committed state.
    if (c.effects.expiryWritten) this.expiryWrites++;
    for (const rs of c.rd.readStates) {
      const ctx = READ_CTX_DECODER.decode(rs.requestCtx);
      const ws = this.pointsRequested.get(ctx);
      if (!ws) continue;
      this.pointsRequested.delete(ctx);
      for (const w of ws) w.resolve(rs.index);
    }
    this.node.advance(c.rd);
    if (c.shapeChanged) this.onShapeChange();
    if (c.rd.softState !== undefined) this.onLeaderChange();
    this.serveApplied();
    if (c.rd.softState && c.rd.softState.lead === 0) this.failPointsInFlight();
    // Membership moves only with a configuration change, a split or a
    // snapshot; the first Ready also checks the state the replica loaded with.
    if (c.shapeChanged || !this.membershipChecked) {
      this.membershipChecked = true;
      if (!this.removed && !this.lingering && this.wasRemoved(this.log.confState())) {
        if (c.leading)
          this.lingering = { term: this.node.raft.term, ticks: 0, ticksUnderNewLeader: 0 };
        else this.removed = true;
      }
    }
    return c.late;
  }

  /** Fails everything waiting, and every later call, with `error`. */
  close(error: TesseraError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    for (const w of this.writes.values()) w.reject(error);
    this.writes.clear();
    this.proposalBuffer = [];
    for (const w of this.confWaiters.values()) w.reject(error);
    this.confWaiters.clear();
    for (const w of [...this.pointsUnrequested.lease, ...this.pointsUnrequested.safe])
      w.reject(error);
    this.pointsUnrequested = { lease: [], safe: [] };
    for (const ws of this.pointsRequested.values()) for (const w of ws) w.reject(error);
    this.pointsRequested.clear();
    for (const g of this.appliedWaiters) for (const w of g.waiters) w.reject(error);
    this.appliedWaiters = [];
    // A snapshot being installed is in a batch, which frees it once written.
    for (const snap of this.receivedSnapshots.values()) snap.discard();
    this.receivedSnapshots.clear();
  }

  // --- observation ---------------------------------------------------------------

  /** The range's descriptor as of this replica's applied index. */
  get descriptor(): RangeDescriptor {
    if (this.desc === undefined)
      throw new TesseraError("UNAVAILABLE", `range ${this.rangeId} has no state here yet`);
    return this.desc;
  }

  /** The descriptor, or undefined before this replica's first snapshot. */
  get descriptorIfKnown(): RangeDescriptor | undefined {
    return this.desc;
  }

  /** The key intervals this replica owns: its data span and its range-local keys. */
  get spans(): readonly Span[] {
    return this.desc ? descriptorSpans(this.desc) : [rangeLocalBounds(this.rangeId)];
  }

  /** The data span (empty before the first snapshot). */
  span(): Span {
    if (this.desc) return { start: this.desc.start, end: this.desc.end };
    const local = rangeLocalBounds(this.rangeId);
    return { start: local.start, end: local.start };
  }

  get pendingWrites(): number {
    return this.writes.size + this.confWaiters.size;
  }

  get writesAppliedTotal(): number {
    return this.writesApplied;
  }

  /** Writes applied plus reads served here since start (the range's load). */
  get opsTotal(): number {
    return this.writesApplied + this.readsServed;
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

  /**
   * Moves whenever an applied batch may have added an entry to this range's
   * expiry index (or a snapshot replaced its state): the expirer's look that
   * found nothing due stays valid until this moves, however much else is
   * applied.
   */
  get expiryEpoch(): number {
    return this.expiryWrites;
  }

  get lastIndex(): LogIndex {
    return this.node.raft.raftLog.lastIndex();
  }

  confState(): ConfState {
    return this.log.confState();
  }

  /** When this replica last stepped a message from another node (monotonic ms). */
  get heardAtMs(): number {
    return this.heardMs;
  }

  /** Whether a snapshot has given this replica state (an uninitialized one has no configuration). */
  get isInitialized(): boolean {
    const c = this.log.confState();
    return c.voters.length > 0 || c.learners.length > 0 || c.votersOutgoing.length > 0;
  }

  /** Marks this replica for destruction (a stale copy of a range merged away). */
  markRemoved(): void {
    this.removed = true;
    this.wake();
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
   * entry of its own term. Then its applied state reflects every acknowledged
   * write once it reaches `answeredIndex` (writes are acknowledged only once
   * applied here) and no other leader can exist, so a linearizable read needs
   * no read index round.
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
    splits: AppliedSplit[],
    merges: AppliedMerge[],
    effects: ApplyEffects,
  ): AppliedState {
    let confState = base;
    let last: Entry | undefined;
    const scoped = new RangeScopedView(w, { rangeId: this.rangeId, span: () => this.span() });
    for (const e of entries) {
      last = e;
      // Anything but a plain write (a split or merge moves expiry entries) counts as one.
      if (e.type !== "normal" || (e.data.byteLength > 0 && proposalKind(e.data) !== "kv"))
        effects.expiryWritten = true;
      if (e.type === "conf-change") {
        const cc = decodeConfChange(e.data);
        confState = this.node.applyConfChange(cc);
        const seq = this.ownConfChange(cc);
        if (seq !== undefined) confOut.push(seq);
        continue;
      }
      if (e.data.byteLength === 0) continue;
      if (proposalKind(e.data) === "range-op") {
        const { id, op } = decodeRangeOp(e.data);
        const reply = this.applyRangeOp(op, w, confState, merges);
        if (id.incarnation === this.incarnation)
          out.push({ key: id.sequence, reply, index: e.index, early: false });
        continue;
      }
      if (proposalKind(e.data) === "split") {
        const { id, split } = decodeSplitProposal(e.data);
        const reply = this.frozen
          ? errorReply("RANGE_MISMATCH", `range ${this.rangeId} is frozen for a merge`)
          : this.mergeLock
            ? errorReply("PROPOSAL_DROPPED", `range ${this.rangeId} is absorbing another`)
            : this.applySplit(split, w, confState, splits);
        if (id.incarnation === this.incarnation)
          out.push({ key: id.sequence, reply, index: e.index, early: false });
        continue;
      }
      const { id, cmd, stamp } = decodeProposal(e.data);
      // A command proposed before a split that moved its keys away is refused
      // here, the same way on every replica; the proposer re-routes it.
      const reply =
        this.frozen !== undefined
          ? errorReply("RANGE_MISMATCH", `range ${this.rangeId} is frozen for a merge`)
          : commandInSpan(cmd, this.span())
            ? applyWrite(cmd, stamp, scoped)
            : errorReply("RANGE_MISMATCH", `range ${this.rangeId} no longer owns the keys`);
      // Only this process's proposals have waiters; the sequence keys them.
      if (id.incarnation !== this.incarnation) continue;
      out.push({ key: id.sequence, reply, index: e.index, early: true });
    }
    assert(last !== undefined, "applying no entries");
    if (scoped.expiryEntriesWritten > 0) effects.expiryWritten = true;
    return { index: last.index, term: last.term, confState };
  }

  /**
   * Applies a split entry (deterministic on every replica): the keys from the
   * split key on become the right-hand range. Their kv metadata moves to the
   * right-hand range's local keys (counters, expiry index entries), both
   * descriptors are written, and the right-hand range's Raft state is created
   * in the same transaction (see collect). A split planned on a stale
   * generation, or at a key that is no longer inside, is refused.
   */
  private applySplit(
    req: SplitRequest,
    w: KvWriter,
    confState: ConfState,
    splits: AppliedSplit[],
  ): KvReply {
    const desc = this.desc;
    if (desc === undefined) return errorReply("RANGE_MISMATCH", "range has no descriptor");
    if (desc.generation !== req.generation)
      return errorReply("RANGE_MISMATCH", `range ${this.rangeId} changed generation`);
    const problem = splitKeyProblem(desc, req.splitKey);
    if (problem) return errorReply("INVALID_ARGUMENT", problem);
    const left: RangeDescriptor = { ...desc, end: req.splitKey, generation: desc.generation + 1 };
    const right: RangeDescriptor = {
      rangeId: req.rightId,
      start: req.splitKey,
      end: desc.end,
      generation: desc.generation + 1,
      ...(req.sticky ? { sticky: true } : {}),
    };
    const leftView = new RangeScopedView(w, { rangeId: this.rangeId, span: () => desc });
    const rightView = new RangeScopedView(w, { rangeId: req.rightId, span: () => right });
    const moved = new Map<KeyspaceId, { keys: number; expires: number }>();
    for (const { key, value } of w.scan(right.start, right.end, Number.MAX_SAFE_INTEGER)) {
      const ks = decodeDataKey(key).ks;
      const m = moved.get(ks) ?? { keys: 0, expires: 0 };
      m.keys++;
      const at = decodeRecord(value).expiresAtMs;
      if (at !== 0) {
        m.expires++;
        leftView.delete(expiryIndexKey(ks, at, key));
        rightView.put(expiryIndexKey(ks, at, key), new Uint8Array(0));
      }
      moved.set(ks, m);
    }
    for (const [ks, m] of moved) {
      addCounters(leftView, ks, -m.keys, -m.expires);
      addCounters(rightView, ks, m.keys, m.expires);
    }
    w.put(rangeDescriptorKey(this.rangeId), encodeDescriptor(left));
    w.put(rangeDescriptorKey(right.rangeId), encodeDescriptor(right));
    this.desc = left;
    splits.push({ right, confState });
    return { t: "bulk", v: encodeDescriptor(right) };
  }

  /**
   * Applies a merge's range operation (deterministic on every replica).
   *
   * freeze (on the right-hand range): from here on every write, split and
   * configuration change is refused, so its state and members stay as they
   * are until it is absorbed (or thawed, if the merge is abandoned; the meta
   * range decides which, once: see store-host.ts `merge`).
   *
   * merge (on the left-hand range): absorbs the frozen right-hand range.
   * Every replica of the left range holds a replica of the right one with
   * the same members (checked here against the entry) that applied the
   * freeze (checked by the proposer before the meta range decided the
   * merge), so the right range's data is already in this store exactly as
   * frozen: only its kv metadata moves to the left range's local keys, the
   * left descriptor grows, and the right range's Raft state goes (collect).
   */
  private applyRangeOp(
    op: RangeOp,
    w: KvWriter,
    confState: ConfState,
    merges: AppliedMerge[],
  ): KvReply {
    const desc = this.desc;
    if (desc === undefined) return errorReply("RANGE_MISMATCH", "range has no descriptor");
    switch (op.op) {
      case "freeze": {
        if (op.generation !== desc.generation)
          return errorReply("RANGE_MISMATCH", `range ${this.rangeId} changed generation`);
        if (this.frozen && this.frozen.into !== op.into)
          return errorReply(
            "INVALID_ARGUMENT",
            `range ${this.rangeId} is frozen for another merge`,
          );
        w.put(rangeFrozenKey(this.rangeId), encodeFrozen(op.into));
        this.frozen ??= { into: op.into, sinceMs: this.clock.monotonicMs() };
        return { t: "ok" };
      }
      case "unfreeze":
        w.delete(rangeFrozenKey(this.rangeId));
        this.frozen = undefined;
        return { t: "ok" };
      case "lock": {
        if (op.generation !== desc.generation)
          return errorReply("RANGE_MISMATCH", `range ${this.rangeId} changed generation`);
        if (this.frozen)
          return errorReply("INVALID_ARGUMENT", "a frozen range cannot absorb another");
        if (this.mergeLock && this.mergeLock.right !== op.right)
          return errorReply("PROPOSAL_DROPPED", `range ${this.rangeId} is absorbing another range`);
        w.put(rangeMergeLockKey(this.rangeId), encodeFrozen(op.right));
        this.mergeLock ??= { right: op.right, sinceMs: this.clock.monotonicMs() };
        return { t: "ok" };
      }
      case "unlock":
        w.delete(rangeMergeLockKey(this.rangeId));
        this.mergeLock = undefined;
        return { t: "ok" };
      case "merge": {
        if (this.frozen)
          return errorReply("INVALID_ARGUMENT", "a frozen range cannot absorb another");
        if (this.mergeLock?.right !== op.right)
          return errorReply(
            "INVALID_ARGUMENT",
            `range ${this.rangeId} holds no merge lock for ${op.right}`,
          );
        if (!equalBytes(desc.end, op.rightStart))
          return errorReply(
            "RANGE_MISMATCH",
            `range ${this.rangeId} does not end where ${op.right} starts`,
          );
        const voters = [...confState.voters].sort((a, b) => a - b);
        const expected = [...op.voters].sort((a, b) => a - b);
        if (
          confState.learners.length > 0 ||
          confState.votersOutgoing.length > 0 ||
          voters.length !== expected.length ||
          voters.some((v, i) => v !== expected[i])
        )
          return errorReply(
            "RANGE_MISMATCH",
            `range ${this.rangeId} has other members than ${op.right}`,
          );
        const frozenRaw = w.get(rangeFrozenKey(op.right));
        const rightRaw = w.get(rangeDescriptorKey(op.right));
        assert(
          frozenRaw !== undefined &&
            decodeFrozen(frozenRaw) === this.rangeId &&
            rightRaw !== undefined &&
            decodeDescriptor(rightRaw).generation === op.rightGeneration,
          `range ${this.rangeId}: the replica of range ${op.right} here is not frozen for this merge`,
        );
        const right = decodeDescriptor(rightRaw!);
        const leftView = new RangeScopedView(w, { rangeId: this.rangeId, span: () => desc });
        const rightView = new RangeScopedView(w, { rangeId: op.right, span: () => right });
        for (const s of keyspaceStats(rightView)) addCounters(leftView, s.ks, s.keys, s.expires);
        const index = expiryIndexBounds(undefined);
        const moved = [...rightView.scan(index.start, index.end, Number.MAX_SAFE_INTEGER)];
        for (const e of moved) leftView.put(e.key, new Uint8Array(0));
        const local = rangeLocalBounds(op.right);
        w.deleteRange(local.start, local.end);
        w.put(rangeTombstoneKey(op.right), encodeFrozen(this.rangeId));
        const merged: RangeDescriptor = {
          ...desc,
          end: right.end,
          generation: Math.max(desc.generation, right.generation) + 1,
        };
        w.put(rangeDescriptorKey(this.rangeId), encodeDescriptor(merged));
        w.delete(rangeMergeLockKey(this.rangeId));
        this.desc = merged;
        this.mergeLock = undefined;
        merges.push({ right: op.right });
        return { t: "ok" };
      }
    }
  }

  private checkNotLocked(): void {
    if (this.mergeLock === undefined) return;
    throw new TesseraError(
      "PROPOSAL_DROPPED",
      `range ${this.rangeId} is absorbing range ${this.mergeLock.right}; retry`,
    );
  }

  private checkNotFrozen(): void {
    if (this.frozen === undefined) return;
    throw new TesseraError(
      "RANGE_MISMATCH",
      `range ${this.rangeId} is being merged into range ${this.frozen.into}; retry`,
      { rangeId: this.rangeId, beforePropose: true },
    );
  }

  /** Refuses a command whose keys this range does not own (RANGE_MISMATCH: re-route). */
  private checkSpan(cmd: WriteCommand | ReadCommand): void {
    if (this.desc !== undefined && commandInSpan(cmd, this.desc)) return;
    throw new TesseraError(
      "RANGE_MISMATCH",
      `range ${this.rangeId} does not own the keys of ${cmd.op}`,
      { rangeId: this.rangeId, generation: this.desc?.generation ?? 0, beforePropose: true },
    );
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
   * `logEntriesKeep` entries behind the applied index, or, once the log holds
   * more than twice `logBytesKeep` bytes, about `logBytesKeep` of them
   * (whichever cuts more). A follower that is not recently active, or more
   * than that behind, does not hold the log back: it will get a snapshot.
   * Runs only once twice the bound accumulated, so truncation is occasional.
   */
  private maybeTruncate(batch: StoreBatch): void {
    const applied = this.log.applied().index;
    const first = this.log.firstIndex();
    let target = applied - first >= 2 * this.logEntriesKeep ? applied - this.logEntriesKeep : 0;
    if (this.logBytes - this.logBytesAt(first - 1) >= 2 * this.logBytesKeep) {
      for (const m of this.logMarks) {
        if (m.index <= applied && this.logBytes - m.bytes >= this.logBytesKeep)
          target = Math.max(target, m.index);
      }
    }
    if (target < first) return;
    if (this.node.raft.state === "leader") {
      for (const [id, pr] of this.progress()) {
        if (id === this.nodeId || !pr.recentActive || pr.state === "snapshot") continue;
        if (applied - pr.match > this.logEntriesKeep) continue;
        if (this.logBytes - this.logBytesAt(pr.match) > 2 * this.logBytesKeep) continue;
        target = Math.min(target, pr.match);
      }
    }
    if (target < first) return;
    batch.truncate(this.log, logIndex(target));
    // Marks before the cut go, but the last one at or before it (the log's base).
    const keepFrom = this.logMarks.findLastIndex((m) => m.index <= target);
    if (keepFrom > 0) this.logMarks = this.logMarks.slice(keepFrom);
  }

  /** Counts appended entries' bytes, marking the count about every `logBytesKeep / 8` bytes. */
  private noteAppended(entries: readonly Entry[]): void {
    for (const e of entries) this.logBytes += e.data.byteLength;
    const last = this.logMarks.at(-1);
    if (
      last === undefined ||
      this.logBytes - last.bytes >= this.logBytesKeep / LOG_MARKS_PER_KEEP
    ) {
      this.logMarks.push({ index: entries.at(-1)!.index, bytes: this.logBytes });
    }
  }

  /** `logBytes` as of entry `index` (by the last mark at or before it; 0 before the first). */
  private logBytesAt(index: number): number {
    for (let i = this.logMarks.length - 1; i >= 0; i--) {
      const m = this.logMarks[i]!;
      if (m.index <= index) return m.bytes;
    }
    return 0;
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
    // A read resumed after this replica was closed (removed: its span is being
    // deleted from the shared store, possibly already) must not read the store.
    this.checkOpen();
    this.readsServed++;
    return executeRead(cmd, { nowMs: this.clock.nowMs() }, this.view);
  }

  /**
   * Resolves the writes whose entries `applied` holds: with `earlyOnly`, the
   * kv writes alone, as soon as the transaction that applies them ran and
   * before it is durable; otherwise all of them, once it is. Answering a kv
   * write early is safe: its entry is committed, so durable in the logs of a
   * quorum (this leader's included: the round that appended it was durable
   * before the one applying it began), and a crash before this apply is
   * durable applies it again, to the same reply, from the log. What must not
   * happen is a read that misses it: reads wait for the durable applied
   * index (`waitApplied`), which a read point covers, and the reads that take
   * no read point wait for `answeredIndex` (see `read`). Splits and range
   * operations resolve only once durable: their callers read the state they
   * leave.
   */
  private answerApplied(applied: readonly AppliedWrite[], earlyOnly: boolean): void {
    for (const a of applied) {
      if (earlyOnly && !a.early) continue;
      const w = this.writes.get(a.key);
      if (!w) continue;
      this.writes.delete(a.key);
      if (a.index > this.answeredIndex) this.answeredIndex = a.index;
      w.resolve({ reply: a.reply, index: a.index });
    }
  }

  /** Proposes a write's entry (leader only) and waits for it to apply. */
  private proposeWrite(id: ProposalId, data: Uint8Array): Promise<WriteResult> {
    // After the writes accepted before it: the log keeps the order they came in.
    this.proposeBuffered();
    this.node.propose(data);
    // A leader appends a proposal to its log at once (or throws).
    const index = this.node.raft.raftLog.lastIndex();
    const promise = new Promise<WriteResult>((resolve, reject) => {
      this.writes.set(id.sequence, { resolve, reject, index, deadlineMs: this.deadline("write") });
    });
    this.wake();
    return promise;
  }

  /**
   * Proposes the buffered kv writes as one batch of entries and records the
   * index each took. Leadership may have moved since `write` accepted them:
   * then they fail as `write` would have (NOT_LEADER, UNAVAILABLE: surely
   * not applied, so a forwarder retries them elsewhere). A batch Raft refuses
   * as too large (maxUncommittedEntriesSize) is proposed write by write, so
   * that only the writes that do not fit fail. Writes whose waiter went
   * (their deadline passed) are not proposed.
   */
  private proposeBuffered(): void {
    const buffered = this.proposalBuffer;
    if (buffered.length === 0) return;
    this.proposalBuffer = [];
    const live = buffered.filter((p) => this.writes.has(p.sequence));
    if (live.length === 0) return;
    const fail = (p: BufferedProposal, e: unknown) => {
      const w = this.writes.get(p.sequence);
      if (w === undefined) return;
      this.writes.delete(p.sequence);
      w.reject(e as Error);
    };
    try {
      this.checkOpen();
      this.checkLeader();
    } catch (e) {
      for (const p of live) fail(p, e);
      return;
    }
    const placed = (ps: readonly BufferedProposal[]) => {
      const last = this.node.raft.raftLog.lastIndex();
      ps.forEach((p, i) => {
        const w = this.writes.get(p.sequence);
        if (w !== undefined) w.index = last - ps.length + 1 + i;
      });
    };
    try {
      this.node.proposeBatch(live.map((p) => p.data));
      placed(live);
    } catch (e) {
      if (live.length === 1 || !(e instanceof TesseraError && e.code === "LIMIT_EXCEEDED")) {
        for (const p of live) fail(p, e);
        return;
      }
      for (const p of live) {
        try {
          this.node.propose(p.data);
          placed([p]);
        } catch (e1) {
          fail(p, e1);
        }
      }
    }
  }

  /**
   * Fails at once the writes whose entries can no longer apply, rather than
   * at their deadline. A write's entry went into this leader's log at one
   * index; if a newer leader put another entry there, that one commits and
   * the write never will. So a write still waiting once this replica applied
   * an entry at or past its index certainly did not happen: PROPOSAL_DROPPED,
   * which the forwarder retries with the range's new leader. One at or below
   * `snapshotIndex` may be inside the snapshot that replaced the log: its
   * outcome is unknown (TIMEOUT), and waiting longer would not tell.
   *
   * Writes wait in the order they were proposed, which is also their index
   * order while this node keeps leading, so the scan stops at the first write
   * past `appliedIndex`. (After leading again with a shorter log, a newer
   * write may sit below an older one; the older one then holds it here until
   * the log passes both, or its deadline.)
   */
  private failSuperseded(snapshotIndex: number, appliedIndex: number): void {
    const bound = Math.max(snapshotIndex, appliedIndex);
    for (const [sequence, w] of this.writes) {
      if (w.index > bound) break;
      this.writes.delete(sequence);
      w.reject(
        w.index <= snapshotIndex
          ? new TesseraError(
              "TIMEOUT",
              `range ${this.rangeId}: a snapshot at index ${snapshotIndex} replaced this replica's log before the write applied; its outcome is unknown`,
            )
          : new TesseraError(
              "PROPOSAL_DROPPED",
              `range ${this.rangeId}: the write was not committed (another leader's entry took index ${w.index})`,
            ),
      );
    }
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

/** The descriptor a store holds for `rangeId`, if any. */
function readDescriptor(view: KvView, rangeId: RangeId): RangeDescriptor | undefined {
  const raw = view.get(rangeDescriptorKey(rangeId));
  return raw === undefined ? undefined : decodeDescriptor(raw);
}

/** The descriptor carried by a snapshot (every snapshot holds its range's). */
function snapshotDescriptor(rangeId: RangeId, data: IncomingSnapshot): RangeDescriptor {
  const raw = data.record(rangeDescriptorKey(rangeId));
  if (raw === undefined) {
    throw new TesseraError("CORRUPTION", `snapshot of range ${rangeId} has no descriptor`);
  }
  return decodeDescriptor(raw);
}

function encodeFrozen(into: RangeId): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, into);
  return out;
}

function decodeFrozen(bytes: Uint8Array): RangeId {
  if (bytes.length !== 4) throw new TesseraError("CORRUPTION", "corrupt frozen-range marker");
  return toRangeId(new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0));
}
