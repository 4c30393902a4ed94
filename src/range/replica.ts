/**
 * `Replica`: this node's member of one range's Raft group — a `RawNode` over
 * the range's `LmdbLogStorage`, with the kv state machine applied to the
 * store's user data.
 *
 * Writes: the leader stamps a command with its HLC time, proposes it (entry
 * data: see proposal.ts) and keeps a pending promise under the proposal id;
 * the promise resolves with the reply `applyWrite` produced once the entry is
 * applied and the transaction that applied it is durable. Reads: `any` reads
 * the local state; `strong`, `quorum` and `all` take a ReadIndex read point
 * (Raft thesis §6.4) and are served once the replica has applied it — except
 * on a leader that is its group's only voter, whose applied state is already
 * linearizable (see `leadsAlone`).
 *
 * The scheduler drives the replica: `collect` takes a Ready and stages its
 * writes (entries, hard state, applied entries with the applied index) into a
 * shared StoreBatch; once that batch is committed, `finish` resolves the
 * waiters, serves reads and advances the RawNode, returning the messages for
 * other nodes.
 *
 * Bounds: at most `proposalsPendingMax` writes and as many reads wait at once
 * (LIMIT_EXCEEDED past it); a proposal is at most `proposalBytesMax` bytes; a
 * write or read that waits longer than its timeout fails with TIMEOUT.
 */
import { randomInt } from "node:crypto";
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
  decodeConfChange,
  type Entry,
  type Message,
  RawNode,
  type Ready,
  type StateType,
} from "../raft/index.js";
import type {
  AppliedState,
  KvView,
  KvWriter,
  LmdbLogStorage,
  StoreBatch,
} from "../storage/index.js";
import { checkCommandKeys } from "./command-keys.js";
import { decodeProposal, encodeProposal, type ProposalId } from "./proposal.js";
import type { ReplicaLimits, ReplicaOptions } from "./replica-options.js";
import type { ReadConsistency, WriteResult } from "./types.js";

interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (e: Error) => void;
  readonly deadlineMs: number;
}

interface PendingRead extends Waiter<KvReply> {
  readonly cmd: ReadCommand;
}

interface AppliedWrite {
  readonly key: number;
  readonly reply: KvReply;
  readonly index: LogIndex;
}

/** What `collect` took from Raft, handed back to `finish` after the commit. */
export interface CollectedReady {
  readonly rd: Ready;
  readonly applied: AppliedWrite[];
}

const LOG_ENTRIES_KEEP_DEFAULT = 10_000;

export class Replica {
  readonly rangeId: RangeId;
  readonly nodeId: NodeId;
  private readonly node: RawNode;
  private readonly log: LmdbLogStorage;
  private readonly view: KvView;
  private readonly clock: Clock;
  private readonly hlc: HlcClock;
  private readonly limits: ReplicaLimits;
  private readonly wake: () => void;
  private readonly logEntriesKeep: number;
  private readonly localReadsWhenAlone: boolean;
  private readonly incarnation = randomInt(0, 0x1_0000_0000);
  private sequence = 0;
  private readonly writes = new Map<number, Waiter<WriteResult>>();
  /** Reads waiting for a ReadIndex request to be issued. */
  private readsUnrequested: PendingRead[] = [];
  /** Reads whose ReadIndex request is in flight, by request context. */
  private readonly readsRequested = new Map<string, PendingRead[]>();
  /** Reads with a read point, waiting for apply to reach it (ascending index). */
  private readsAwaitingApply: { index: LogIndex; reads: PendingRead[] }[] = [];
  private readCtxSeq = 0;
  private closedWith: TesseraError | undefined;
  private writesApplied = 0;
  /** The term in which this replica was last found ready (see isReady). */
  private readyTerm = -1;

  constructor(options: ReplicaOptions) {
    this.rangeId = options.rangeId;
    this.nodeId = options.nodeId;
    this.log = options.log;
    this.view = options.view;
    this.clock = options.clock;
    this.hlc = options.hlc;
    this.limits = options.limits;
    this.wake = options.wake;
    this.logEntriesKeep = options.logEntriesKeep ?? LOG_ENTRIES_KEEP_DEFAULT;
    this.localReadsWhenAlone = options.localReadsWhenAlone ?? true;
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
        this.writes.set(id.sequence, {
          resolve,
          reject,
          deadlineMs: this.clock.monotonicMs() + this.limits.proposalTimeoutMs,
        });
      });
      this.wake();
      return promise;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  read(cmd: ReadCommand, consistency: ReadConsistency): Promise<KvReply> {
    try {
      this.checkOpen();
      if (consistency === "any" || this.leadsAlone()) return Promise.resolve(this.execute(cmd));
      const waiting = this.readsUnrequested.length + this.readsInFlight();
      if (waiting >= this.limits.proposalsPendingMax) {
        throw new TesseraError("LIMIT_EXCEEDED", `too many reads pending (${waiting})`);
      }
      if (this.node.raft.lead === 0)
        throw new TesseraError("UNAVAILABLE", `range ${this.rangeId} has no leader`);
      const promise = new Promise<KvReply>((resolve, reject) => {
        this.readsUnrequested.push({
          cmd,
          resolve,
          reject,
          deadlineMs: this.clock.monotonicMs() + this.limits.readTimeoutMs,
        });
      });
      this.wake();
      return promise;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  // --- driven by the scheduler --------------------------------------------------

  /** One Raft tick; also fails writes and reads past their deadline. */
  tick(): void {
    this.node.tick();
    const now = this.clock.monotonicMs();
    for (const [key, w] of this.writes) {
      if (w.deadlineMs > now) continue;
      this.writes.delete(key);
      w.reject(
        new TesseraError("TIMEOUT", `write not applied within ${this.limits.proposalTimeoutMs} ms`),
      );
    }
    const expired = (r: PendingRead) => r.deadlineMs <= now;
    const timeout = () =>
      new TesseraError("TIMEOUT", `read not served within ${this.limits.readTimeoutMs} ms`);
    for (const [ctx, reads] of this.readsRequested) {
      const [late, onTime] = partition(reads, expired);
      for (const r of late) r.reject(timeout());
      if (onTime.length === 0) this.readsRequested.delete(ctx);
      else this.readsRequested.set(ctx, onTime);
    }
    for (const group of this.readsAwaitingApply) {
      const [late, onTime] = partition(group.reads, expired);
      for (const r of late) r.reject(timeout());
      group.reads = onTime;
    }
  }

  /** Issues one ReadIndex request for every read that has none yet. */
  requestReads(): void {
    if (this.readsUnrequested.length === 0) return;
    const reads = this.readsUnrequested;
    this.readsUnrequested = [];
    if (this.node.raft.lead === 0) {
      for (const r of reads)
        r.reject(new TesseraError("UNAVAILABLE", `range ${this.rangeId} has no leader`));
      return;
    }
    const ctx = String(++this.readCtxSeq);
    this.readsRequested.set(ctx, reads);
    this.node.readIndex(new TextEncoder().encode(ctx));
  }

  hasWork(): boolean {
    return this.readsUnrequested.length > 0 || this.node.hasReady();
  }

  /** Takes the Ready, if any, and stages its writes into `batch`. */
  collect(batch: StoreBatch): CollectedReady | undefined {
    if (!this.node.hasReady()) return undefined;
    const rd = this.node.ready();
    assert(rd.snapshot === undefined, `range ${this.rangeId}: snapshots are not supported yet`);
    if (rd.entries.length > 0) batch.append(this.log, rd.entries);
    if (rd.hardState) batch.setHardState(this.log, rd.hardState);
    const applied: AppliedWrite[] = [];
    if (rd.committedEntries.length > 0) {
      const entries = rd.committedEntries;
      batch.apply(this.log, (w) => this.applyEntries(entries, w, applied));
    }
    this.maybeTruncate(batch);
    return { rd, applied };
  }

  /** After the batch is durable: resolves writes, serves reads, advances Raft. Returns messages to send. */
  finish(c: CollectedReady): readonly Message[] {
    for (const a of c.applied) {
      const w = this.writes.get(a.key);
      if (!w) continue;
      this.writes.delete(a.key);
      w.resolve({ reply: a.reply, index: a.index });
    }
    this.writesApplied += c.applied.length;
    const decoder = new TextDecoder();
    for (const rs of c.rd.readStates) {
      const ctx = decoder.decode(rs.requestCtx);
      const reads = this.readsRequested.get(ctx);
      if (!reads) continue;
      this.readsRequested.delete(ctx);
      this.readsAwaitingApply.push({ index: rs.index, reads });
    }
    this.node.advance(c.rd);
    this.serveReads();
    if (c.rd.softState && c.rd.softState.lead === 0) this.failReadsInFlight();
    return c.rd.messages;
  }

  /** Fails everything waiting, and every later call, with `error`. */
  close(error: TesseraError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    for (const w of this.writes.values()) w.reject(error);
    this.writes.clear();
    for (const r of this.allPendingReads()) r.reject(error);
    this.readsUnrequested = [];
    this.readsRequested.clear();
    this.readsAwaitingApply = [];
  }

  // --- observation ---------------------------------------------------------------

  get pendingWrites(): number {
    return this.writes.size;
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

  /** Progress of the other members (leader only), for WAIT and INFO. */
  followerProgress(): { nodeId: NodeId; match: number; state: string }[] {
    if (this.node.raft.state !== "leader") return [];
    const out: { nodeId: NodeId; match: number; state: string }[] = [];
    for (const [id, pr] of this.node.status().progress) {
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

  private applyEntries(entries: readonly Entry[], w: KvWriter, out: AppliedWrite[]): AppliedState {
    let confState = this.log.confState();
    let last: Entry | undefined;
    for (const e of entries) {
      last = e;
      if (e.type === "conf-change") {
        confState = this.node.applyConfChange(decodeConfChange(e.data));
        continue;
      }
      if (e.data.byteLength === 0) continue;
      const { id, cmd, stamp } = decodeProposal(e.data);
      const reply = applyWrite(cmd, stamp, w);
      // Only this process's proposals have waiters; the sequence keys them.
      if (id.incarnation === this.incarnation)
        out.push({ key: id.sequence, reply, index: e.index });
    }
    assert(last !== undefined, "applying no entries");
    return { index: last.index, term: last.term, confState };
  }

  private maybeTruncate(batch: StoreBatch): void {
    const conf = this.log.confState();
    const alone =
      conf.voters.length === 1 && conf.learners.length === 0 && conf.votersOutgoing.length === 0;
    if (!alone) return;
    const applied = this.log.applied().index;
    const first = this.log.firstIndex();
    if (applied - first < 2 * this.logEntriesKeep) return;
    batch.truncate(this.log, logIndex(applied - this.logEntriesKeep));
  }

  private serveReads(): void {
    const applied = this.log.applied().index;
    while (this.readsAwaitingApply.length > 0 && this.readsAwaitingApply[0]!.index <= applied) {
      const group = this.readsAwaitingApply.shift()!;
      for (const r of group.reads) {
        try {
          r.resolve(this.execute(r.cmd));
        } catch (e) {
          r.reject(e as Error);
        }
      }
    }
  }

  private failReadsInFlight(): void {
    for (const reads of this.readsRequested.values()) {
      for (const r of reads)
        r.reject(new TesseraError("UNAVAILABLE", `range ${this.rangeId} lost its leader`));
    }
    this.readsRequested.clear();
  }

  private execute(cmd: ReadCommand): KvReply {
    return executeRead(cmd, { nowMs: this.clock.nowMs() }, this.view);
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

  private readsInFlight(): number {
    let n = 0;
    for (const reads of this.readsRequested.values()) n += reads.length;
    for (const g of this.readsAwaitingApply) n += g.reads.length;
    return n;
  }

  private *allPendingReads(): Iterable<PendingRead> {
    yield* this.readsUnrequested;
    for (const reads of this.readsRequested.values()) yield* reads;
    for (const g of this.readsAwaitingApply) yield* g.reads;
  }
}

function partition<T>(items: readonly T[], pred: (t: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const t of items) (pred(t) ? yes : no).push(t);
  return [yes, no];
}
