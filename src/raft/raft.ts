/**
 * The Raft state machine of one node (paper §5–§7, thesis §3–§9; the design of
 * etcd-io/raft raft.go). It takes messages and ticks and produces messages,
 * log entries to persist and entries to apply, all as data: it does no I/O.
 *
 * This file is longer than most (it holds one tightly coupled state machine:
 * the role transitions and the per-role step functions share every field); the
 * leaf concepts live in their own modules (raft-log, tracker, quorum,
 * confchange, read-only).
 *
 * Invariants (asserted, crash in production too):
 * - election safety, within this node's view: it never becomes leader twice in
 *   one term and never votes for two candidates in one term (§5.2);
 * - log matching: an append never truncates a committed entry (§5.3);
 * - applied ≤ committed ≤ last index, and committed never decreases;
 * - voters and learners are disjoint; every progress has match < next.
 */
import {
  assert,
  assertNever,
  type LogIndex,
  logIndex,
  type NodeId,
  type Term,
  TesseraError,
  term,
  unreachable,
} from "../lib/index.js";
import {
  decodeConfChange,
  encodeConfChange,
  entersJoint,
  isLeaveJoint,
} from "./conf-change-codec.js";
import { type ChangeResult, Changer } from "./confchange/changer.js";
import { restoreConfState } from "./confchange/restore.js";
import type { ResolvedConfig } from "./config.js";
import { payloadsSize } from "./entries.js";
import { RaftLog } from "./raft-log.js";
import { ReadOnly } from "./read-only.js";
import type { LogStorage } from "./storage.js";
import { isLogStorageError } from "./storage.js";
import { Inflights } from "./tracker/inflights.js";
import { Progress } from "./tracker/progress.js";
import { ProgressTracker } from "./tracker/progress-tracker.js";
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  MsgApp,
  MsgAppResp,
  MsgHeartbeat,
  MsgHeartbeatResp,
  MsgProp,
  MsgReadIndex,
  MsgSnap,
  MsgTransferLeader,
  ReadState,
  Snapshot,
  SoftState,
  StateType,
} from "./types.js";

export const NONE = 0 as NodeId;
/** The pseudo-node that persists entries in async-storage-writes mode. */
export const LOCAL_APPEND_THREAD = Number.MAX_SAFE_INTEGER as NodeId;
/** The pseudo-node that applies entries in async-storage-writes mode. */
export const LOCAL_APPLY_THREAD = (Number.MAX_SAFE_INTEGER - 1) as NodeId;

type CampaignType = "pre-election" | "election" | "transfer";

/** A message with its sender and term still to be filled in by `send`. */
type Unstamped<M> = M extends Message
  ? Omit<M, "from" | "term"> & { from?: NodeId; term?: Term }
  : never;
type Outgoing = Unstamped<Message>;

function dropped(why: string): never {
  throw new TesseraError("PROPOSAL_DROPPED", `raft proposal dropped: ${why}`);
}

/** Ticks of an election timeout a lease read leaves unused, for message delay and tick skew. */
const LEASE_MARGIN_TICKS = 2;

export class Raft {
  readonly id: NodeId;
  term: Term = term(0);
  vote: NodeId = NONE;
  readStates: ReadState[] = [];
  readonly raftLog: RaftLog;
  trk: ProgressTracker;
  state: StateType = "follower";
  isLearner = false;
  /** Messages to send now. */
  msgs: Message[] = [];
  /** Messages to send only once the current unstable state is durable (votes, append acks). */
  msgsAfterAppend: Message[] = [];
  lead: NodeId = NONE;
  /** The target of a leadership transfer in progress, or NONE. */
  leadTransferee: NodeId = NONE;
  /** A conf change may be proposed only once the log index of the last one is applied. */
  pendingConfIndex: LogIndex = logIndex(0);
  /** Bytes of uncommitted entry payloads in the leader's log (bounded by maxUncommittedEntriesSize). */
  uncommittedSize = 0;
  readOnly: ReadOnly;
  /** ReadIndex requests held until the leader commits an entry of its term. */
  pendingReadIndexMessages: MsgReadIndex[] = [];
  electionElapsed = 0;
  heartbeatElapsed = 0;
  /** Ticks since this node started; the clock of the lease (Progress.heardAtTick). */
  ticks = 0;
  randomizedElectionTimeout = 0;
  /** The commit index after the last step (it must never decrease). */
  private committedSeen: LogIndex = logIndex(0);
  /** The highest term in which this node became leader (election safety check). */
  private leaderTermMax = 0;
  private tickFn: () => void = () => this.tickElection();
  private stepFn: (m: Message) => void = (m) => this.stepFollower(m);

  constructor(
    readonly config: ResolvedConfig,
    storage: LogStorage,
  ) {
    this.id = config.id;
    this.raftLog = new RaftLog(storage, config.maxCommittedSizePerReady);
    this.trk = new ProgressTracker(config.maxInflightMsgs, config.maxInflightBytes);
    this.readOnly = new ReadOnly(config.readOnlyOption);
    const { hardState, confState } = storage.initialState();
    const r = restoreConfState(this.trk, this.raftLog.lastIndex(), confState);
    this.switchToConfig(r);
    if (hardState.term !== 0 || hardState.vote !== 0 || hardState.commit !== 0)
      this.loadState(hardState);
    if (config.applied > 0) this.raftLog.appliedTo(config.applied);
    this.becomeFollower(this.term, NONE);
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  softState(): SoftState {
    return { lead: this.lead, raftState: this.state };
  }

  private loadState(hs: HardState): void {
    assert(
      hs.commit >= this.raftLog.committed && hs.commit <= this.raftLog.lastIndex(),
      `${this.id} state.commit ${hs.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`,
    );
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  // -------------------------------------------------------------------------
  // Sending

  /** Stamps `out` (a fresh object, owned from here on) with sender and term, and queues it. */
  private send(out: Outgoing): void {
    const from = out.from ?? this.id;
    let t = out.term ?? term(0);
    const type = out.type;
    if (
      type === "MsgVote" ||
      type === "MsgVoteResp" ||
      type === "MsgPreVote" ||
      type === "MsgPreVoteResp"
    ) {
      // Vote messages carry the term they are about, which is not always ours (pre-vote).
      if (t === 0) unreachable(`term should be set when sending ${type}`);
    } else {
      assert(
        out.term === undefined || out.term === 0,
        `term should not be set when sending ${type}`,
      );
      // Proposals and read requests forwarded to the leader stay local (term 0).
      if (type !== "MsgProp" && type !== "MsgReadIndex") t = this.term;
    }
    // `out` is a fresh object owned by this call: stamp it in place rather than copy it.
    const stamped = out as { from?: NodeId; term?: Term };
    stamped.from = from;
    stamped.term = t;
    const m = out as Message;
    if (type === "MsgAppResp" || type === "MsgVoteResp" || type === "MsgPreVoteResp") {
      // These promise something about our durable state; they wait for persistence.
      this.msgsAfterAppend.push(m);
    } else {
      if (m.to === this.id)
        unreachable(`message should not be self-addressed when sending ${type}`);
      this.msgs.push(m);
    }
  }

  /** Sends an append (or a snapshot) to `to`; see maybeSendAppend. */
  sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends the entries `to` is missing, or a snapshot if they were compacted.
   * Returns whether a message was sent; with `sendIfEmpty` false, an append with
   * no entries is not sent (it would only carry the commit index).
   */
  maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = logIndex(pr.next - 1);
    let prevTerm: Term | undefined;
    let ents: Entry[] | undefined;
    try {
      prevTerm = this.raftLog.term(prevIndex);
      // A throttled follower gets only empty appends: if every in-flight append was
      // lost, one of these is acked or rejected and clears the window (etcd #14633).
      ents =
        pr.state === "replicate" && pr.inflights.full()
          ? []
          : this.raftLog.entries(pr.next, this.config.maxSizePerMsg);
    } catch (e) {
      if (!isLogStorageError(e, "COMPACTED") && !isLogStorageError(e, "UNAVAILABLE")) throw e;
      return this.maybeSendSnapshot(to, pr);
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send({
      type: "MsgApp",
      to,
      index: prevIndex,
      logTerm: prevTerm,
      entries: ents,
      commit: this.raftLog.committed,
    });
    pr.sentEntries(ents.length, payloadsSize(ents));
    pr.appendedSinceBeat = true;
    return true;
  }

  /** The follower needs compacted entries: send the snapshot instead (§7). */
  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    // A follower that has not answered recently probably won't take a snapshot either.
    if (!pr.recentActive) return false;
    let snapshot: Snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (e) {
      if (isLogStorageError(e, "SNAPSHOT_TEMPORARILY_UNAVAILABLE")) return false;
      throw e;
    }
    assert(snapshot.metadata.index > 0, "need non-empty snapshot");
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send({ type: "MsgSnap", to, snapshot });
    return true;
  }

  /** A heartbeat carries commit = min(match, committed): a follower must not commit past its log. */
  private sendHeartbeat(to: NodeId, context: Uint8Array | undefined): void {
    const pr = this.trk.progress.get(to)!;
    const commit = logIndex(Math.min(pr.match, this.raftLog.committed));
    this.send(
      context
        ? { type: "MsgHeartbeat", to, commit, context }
        : { type: "MsgHeartbeat", to, commit },
    );
  }

  broadcastAppend(): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendAppend(id);
    });
  }

  /** The periodic heartbeat round (MsgBeat). */
  broadcastHeartbeat(): void {
    const ctx = this.readOnly.lastPendingRequestCtx();
    // A heartbeat that confirms reads goes to everyone (ctx defined).
    const skipping = ctx === undefined && this.config.skipHeartbeatsWhileAppending;
    this.trk.visit((id, pr) => {
      if (id === this.id) return;
      const appended = pr.appendedSinceBeat;
      pr.appendedSinceBeat = false;
      // A paused or probing follower is waiting for an answer a heartbeat brings.
      if (skipping && appended && pr.state === "replicate" && !pr.msgAppFlowPaused) return;
      this.sendHeartbeat(id, ctx);
    });
  }

  private broadcastHeartbeatWithCtx(ctx: Uint8Array | undefined): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendHeartbeat(id, ctx);
    });
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: "MsgTimeoutNow", to });
    // A removed leader handing over is done once the transferee has its whole
    // log: stepping down now frees its vote for the transferee's election.
    if (this.config.stepDownOnRemoval && !this.isVoterHere()) this.becomeFollower(this.term, NONE);
  }

  // -------------------------------------------------------------------------
  // Applying and committing

  /** The application applied up to `index`; may trigger the automatic leave of a joint config. */
  appliedTo(index: LogIndex): void {
    const newApplied = logIndex(Math.max(index, this.raftLog.applied));
    this.raftLog.appliedTo(newApplied);
    if (
      this.trk.config.autoLeave &&
      newApplied >= this.pendingConfIndex &&
      this.state === "leader"
    ) {
      // The joint configuration is committed and applied: propose leaving it (§6).
      // If the proposal is refused now (a transfer is in progress), a later apply retries.
      try {
        this.step({
          type: "MsgProp",
          from: this.id,
          to: this.id,
          term: term(0),
          entries: [confChangeEntry({ transition: "auto", changes: [] })],
        });
      } catch (e) {
        if (!(e instanceof TesseraError)) throw e;
      }
    }
  }

  appliedSnap(snap: Snapshot): void {
    const index = snap.metadata.index;
    this.raftLog.stableSnapTo(index);
    this.appliedTo(index);
  }

  /** Commits what a quorum has acknowledged, if of the current term (§5.4.2). */
  maybeCommit(): boolean {
    const index = this.trk.committed();
    if (this.config.testingKnobs.commitPriorTermEntries) {
      // TEST-ONLY deliberate bug: counts replicas of an entry of any term (breaks §5.4.2).
      const t = this.raftLog.termOrUndefined(index);
      return t !== undefined && this.raftLog.maybeCommit(index, t);
    }
    return this.raftLog.maybeCommit(index, this.term);
  }

  private reset(t: Term): void {
    if (this.term !== t) {
      this.term = t;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const last = this.raftLog.lastIndex();
    this.trk.visit((id, pr) => {
      const fresh = new Progress({
        match: id === this.id ? last : logIndex(0),
        next: logIndex(last + 1),
        inflights: new Inflights(this.trk.maxInflight, this.trk.maxInflightBytes),
        isLearner: pr.isLearner,
      });
      this.trk.progress.set(id, fresh);
    });
    this.pendingConfIndex = logIndex(0);
    this.uncommittedSize = 0;
    // Reads not yet answered are dropped with the role; their clients retry.
    this.readOnly = new ReadOnly(this.config.readOnlyOption);
    this.pendingReadIndexMessages = [];
  }

  /** Appends `es` as a leader; returns false if the uncommitted-size limit refuses them. */
  appendEntry(es: readonly Entry[]): boolean {
    const li = this.raftLog.lastIndex();
    const stamped = es.map((e, i) => ({ ...e, term: this.term, index: logIndex(li + 1 + i) }));
    if (!this.increaseUncommittedSize(stamped)) return false;
    const last = this.raftLog.append(stamped);
    // The leader acknowledges its own entries once they are durable, like a follower.
    this.send({
      type: "MsgAppResp",
      to: this.id,
      index: last,
      reject: false,
      rejectHint: logIndex(0),
      logTerm: term(0),
    });
    return true;
  }

  private increaseUncommittedSize(ents: readonly Entry[]): boolean {
    const s = payloadsSize(ents);
    // An empty uncommitted tail always takes one proposal, however large, so progress is possible.
    if (
      this.uncommittedSize > 0 &&
      s > 0 &&
      this.uncommittedSize + s > this.config.maxUncommittedEntriesSize
    ) {
      return false;
    }
    this.uncommittedSize += s;
    return true;
  }

  reduceUncommittedSize(s: number): void {
    this.uncommittedSize = s > this.uncommittedSize ? 0 : this.uncommittedSize - s;
  }

  // -------------------------------------------------------------------------
  // Ticks and role changes

  tick(): void {
    this.ticks++;
    this.tickFn();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step({ type: "MsgHup", from: this.id, to: this.id, term: term(0) });
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTick) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum) {
        this.step({ type: "MsgCheckQuorum", from: this.id, to: this.id, term: term(0) });
      }
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.state === "leader" && this.leadTransferee !== NONE) this.abortLeaderTransfer();
      // A removed leader whose hand-over failed tries again, maybe to another voter.
      if (this.state === "leader" && this.config.stepDownOnRemoval && !this.isVoterHere()) {
        this.handOverLeadership();
      }
    }
    if (this.state !== "leader") return;
    if (this.heartbeatElapsed >= this.config.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.step({ type: "MsgBeat", from: this.id, to: this.id, term: term(0) });
    }
  }

  becomeFollower(t: Term, lead: NodeId): void {
    this.stepFn = (m) => this.stepFollower(m);
    this.reset(t);
    this.tickFn = () => this.tickElection();
    this.lead = lead;
    this.state = "follower";
  }

  becomeCandidate(): void {
    assert(this.state !== "leader", "invalid transition [leader -> candidate]");
    this.stepFn = (m) => this.stepCandidate(m);
    this.reset(term(this.term + 1));
    this.tickFn = () => this.tickElection();
    this.vote = this.id;
    this.state = "candidate";
  }

  becomePreCandidate(): void {
    assert(this.state !== "leader", "invalid transition [leader -> pre-candidate]");
    // A pre-candidate changes neither its term nor its vote (thesis §9.6).
    this.stepFn = (m) => this.stepCandidate(m);
    this.trk.resetVotes();
    this.tickFn = () => this.tickElection();
    this.lead = NONE;
    this.state = "pre-candidate";
  }

  becomeLeader(): void {
    assert(this.state !== "follower", "invalid transition [follower -> leader]");
    assert(this.term > this.leaderTermMax, `${this.id} became leader twice in term ${this.term}`);
    this.leaderTermMax = this.term;
    this.stepFn = (m) => this.stepLeader(m);
    this.reset(this.term);
    this.tickFn = () => this.tickHeartbeat();
    this.lead = this.id;
    this.state = "leader";
    const pr = this.trk.progress.get(this.id)!;
    // The leader's own progress is always replicating; it acks its own appends.
    pr.becomeReplicate();
    pr.recentActive = true;
    // Conf changes in the uncommitted tail may still be pending: be conservative.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // An empty entry of the new term lets the leader commit earlier entries (§5.4.2, §8).
    assert(this.appendEntry([emptyEntry()]), "empty entry was dropped");
  }

  private hup(t: CampaignType): void {
    if (this.state === "leader") return;
    if (!this.promotable()) return;
    // A node that has not applied a committed conf change may not know who votes.
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(t);
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.raftLog.applied >= this.raftLog.committed) return false;
    let lo = this.raftLog.applied + 1;
    const hi = this.raftLog.committed + 1;
    while (lo < hi) {
      const ents = this.raftLog.slice(
        logIndex(lo),
        logIndex(hi),
        this.config.maxCommittedSizePerReady,
      );
      if (ents.some((e) => e.type === "conf-change")) return true;
      lo += ents.length;
    }
    return false;
  }

  campaign(t: CampaignType): void {
    assert(this.promotable(), `${this.id} is unpromotable and can not campaign`);
    let voteTerm: Term;
    let voteType: "MsgVote" | "MsgPreVote";
    if (t === "pre-election") {
      this.becomePreCandidate();
      voteType = "MsgPreVote";
      // Pre-vote asks about the next term without moving to it.
      voteTerm = term(this.term + 1);
    } else {
      this.becomeCandidate();
      voteType = "MsgVote";
      voteTerm = this.term;
    }
    const respType = voteType === "MsgVote" ? "MsgVoteResp" : "MsgPreVoteResp";
    for (const id of this.trk.voterNodes()) {
      if (id === this.id) {
        // The self-vote is recorded once it is durable, through the same path as others'.
        this.send({ type: respType, to: id, term: voteTerm, reject: false });
        continue;
      }
      this.send({
        type: voteType,
        to: id,
        term: voteTerm,
        index: this.raftLog.lastIndex(),
        logTerm: this.raftLog.lastTerm(),
        transfer: t === "transfer",
      });
    }
  }

  private poll(id: NodeId, granted: boolean): ReturnType<ProgressTracker["tallyVotes"]> {
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes();
  }

  // -------------------------------------------------------------------------
  // Stepping

  /** Feeds one message into the state machine; throws PROPOSAL_DROPPED / LIMIT_EXCEEDED for refused proposals. */
  step(m: Message): void {
    if (!this.stepTerm(m)) return;
    switch (m.type) {
      case "MsgHup":
        this.hup(this.config.preVote ? "pre-election" : "election");
        break;
      case "MsgStorageAppendResp":
        if (m.index !== 0) this.raftLog.stableTo(m.index, m.logTerm);
        if (m.snapshot) this.appliedSnap(m.snapshot);
        break;
      case "MsgStorageApplyResp":
        if (m.entries.length > 0) {
          this.appliedTo(m.entries[m.entries.length - 1]!.index);
          this.reduceUncommittedSize(payloadsSize(m.entries));
        }
        break;
      case "MsgVote":
      case "MsgPreVote":
        this.handleVote(m);
        break;
      default:
        this.stepFn(m);
    }
    this.checkInvariants();
  }

  /**
   * Handles the term of `m` (§5.1: a higher term makes us a follower, a lower
   * one is stale). Returns whether `m` should be processed further.
   */
  private stepTerm(m: Message): boolean {
    if (m.term === 0) return true; // local message
    if (m.term > this.term) {
      if (m.type === "MsgVote" || m.type === "MsgPreVote") {
        // Within the lease of a live leader, a disruptive candidate is ignored (thesis §4.2.3).
        const inLease =
          this.config.checkQuorum &&
          this.lead !== NONE &&
          this.electionElapsed < this.config.electionTick;
        if (!m.transfer && inLease) return false;
      }
      if (m.type === "MsgPreVote") {
        // Never change our term in response to a pre-vote.
      } else if (m.type === "MsgPreVoteResp" && !m.reject) {
        // A granted pre-vote carries the future term; the term moves when we win.
      } else if (m.type === "MsgApp" || m.type === "MsgHeartbeat" || m.type === "MsgSnap") {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
      return true;
    }
    if (m.term < this.term) {
      if (
        (this.config.checkQuorum || this.config.preVote) &&
        (m.type === "MsgHeartbeat" || m.type === "MsgApp")
      ) {
        // A node partitioned away may have a higher term and stale log; answering with our
        // term lets a leader with a lower term step down, freeing the cluster (etcd #5451).
        this.send({
          type: "MsgAppResp",
          to: m.from,
          index: logIndex(0),
          reject: false,
          rejectHint: logIndex(0),
          logTerm: term(0),
        });
      } else if (m.type === "MsgPreVote") {
        // Reject with our term so the pre-candidate learns it is behind.
        this.send({ type: "MsgPreVoteResp", to: m.from, term: this.term, reject: true });
      } else if (m.type === "MsgStorageAppendResp") {
        // Entries written in an older term may since have been overwritten: only the snapshot counts.
        if (m.snapshot) this.appliedSnap(m.snapshot);
      }
      return false;
    }
    return true;
  }

  private handleVote(m: Extract<Message, { type: "MsgVote" | "MsgPreVote" }>): void {
    // We may vote again for the candidate we already voted for (a retried request),
    // vote if we have no vote and no leader, or grant a pre-vote for a future term.
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === "MsgPreVote" && m.term > this.term);
    const respType = m.type === "MsgVote" ? "MsgVoteResp" : "MsgPreVoteResp";
    const floor = this.config.voteFloor;
    const aboveFloor =
      m.logTerm > floor.term || (m.logTerm === floor.term && m.index >= floor.index);
    if (canVote && aboveFloor && this.raftLog.isUpToDate(m.index, m.logTerm)) {
      // Granted responses carry the candidate's term, so a pre-candidate can count them.
      this.send({ type: respType, to: m.from, term: m.term, reject: false });
      if (m.type === "MsgVote") {
        assert(
          this.vote === NONE || this.vote === m.from,
          `${this.id} voted twice in term ${this.term}`,
        );
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      // A node still at term 0 (a replica just made, held back by its vote
      // floor) refuses a pre-vote in the candidate's term: the answer counts
      // there, and vote messages always carry a term.
      const t = this.term === 0 ? m.term : this.term;
      this.send({ type: respType, to: m.from, term: t, reject: true });
    }
  }

  private checkInvariants(): void {
    // Messages are built only on failure: this runs after every step.
    const log = this.raftLog;
    if (log.committed < this.committedSeen) {
      unreachable(`committed went back from ${this.committedSeen} to ${log.committed}`);
    }
    this.committedSeen = log.committed;
    if (log.applied > log.committed)
      unreachable(`applied ${log.applied} > committed ${log.committed}`);
    const last = log.lastIndex();
    if (log.committed > last) unreachable(`committed ${log.committed} > last index ${last}`);
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case "MsgBeat":
        this.broadcastHeartbeat();
        return;
      case "MsgCheckQuorum": {
        // TEST-ONLY deliberate bug: with leaseIgnoresExpiry the lease never runs out.
        // A removed leader handing over keeps leading without a quorum (it
        // serves no lease reads): stepping down could strand the voters that
        // still need its vote (see handOverLeadership).
        const handingOver = this.config.stepDownOnRemoval && !this.isVoterHere();
        if (
          !this.trk.quorumActive() &&
          !handingOver &&
          !this.config.testingKnobs.leaseIgnoresExpiry
        ) {
          this.becomeFollower(this.term, NONE);
        }
        // Everyone but us starts the next election timeout as inactive.
        this.trk.visit((id, pr) => {
          if (id !== this.id) pr.recentActive = false;
        });
        return;
      }
      case "MsgProp":
        this.handleLeaderPropose(m);
        return;
      case "MsgReadIndex":
        this.handleLeaderReadIndex(m);
        return;
      case "MsgAppResp":
      case "MsgHeartbeatResp":
      case "MsgSnapStatus":
      case "MsgUnreachable":
      case "MsgTransferLeader":
        this.stepLeaderFromPeer(m);
        return;
      case "MsgApp":
      case "MsgHeartbeat":
      case "MsgSnap":
        // Only the leader of a term sends these at that term, and we are it (§5.2 Election Safety).
        assert(false, `${this.id} is leader of term ${this.term} but got ${m.type} from ${m.from}`);
        return;
      case "MsgForgetLeader":
      case "MsgVoteResp":
      case "MsgPreVoteResp":
      case "MsgTimeoutNow":
      case "MsgReadIndexResp":
        return; // stale or meaningless for a leader
      case "MsgHup":
      case "MsgVote":
      case "MsgPreVote":
      case "MsgStorageAppendResp":
      case "MsgStorageApplyResp":
      case "MsgStorageAppend":
      case "MsgStorageApply":
        return; // handled by step() for every role, or never stepped
      default:
        assertNever(m, "message");
    }
  }

  /** Messages about one follower; a message from a node without progress is dropped. */
  private stepLeaderFromPeer(
    m: Extract<
      Message,
      {
        type:
          | "MsgAppResp"
          | "MsgHeartbeatResp"
          | "MsgSnapStatus"
          | "MsgUnreachable"
          | "MsgTransferLeader";
      }
    >,
  ): void {
    const pr = this.trk.progress.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case "MsgAppResp":
        this.handleAppendResponse(m, pr);
        return;
      case "MsgHeartbeatResp":
        this.handleHeartbeatResponse(m, pr);
        return;
      case "MsgSnapStatus":
        if (pr.state !== "snapshot") return;
        if (m.reject) pr.pendingSnapshot = logIndex(0);
        pr.becomeProbe();
        // After success wait for the follower's append response; after failure wait a heartbeat.
        pr.msgAppFlowPaused = true;
        return;
      case "MsgUnreachable":
        // Optimistic replication to an unreachable node probably lost appends: probe again.
        if (pr.state === "replicate") pr.becomeProbe();
        return;
      case "MsgTransferLeader":
        this.handleTransferLeader(m, pr);
        return;
      default:
        assertNever(m, "message");
    }
  }

  private handleLeaderPropose(m: MsgProp): void {
    assert(m.entries.length > 0, `${this.id} stepped empty MsgProp`);
    if (!this.trk.progress.has(this.id)) dropped("the leader was removed from the configuration");
    if (this.leadTransferee !== NONE) dropped("leadership transfer in progress");
    const entries = m.entries.map((e, i) => this.vetConfChange(e, i));
    if (!this.appendEntry(entries)) {
      throw new TesseraError(
        "LIMIT_EXCEEDED",
        "raft: uncommitted entries exceed maxUncommittedEntriesSize",
      );
    }
    this.broadcastAppend();
  }

  /**
   * One conf change may be pending at a time, and a joint configuration must be
   * left before another change. A refused change becomes an empty normal entry
   * (as in etcd), so a batch is never partially refused; the application sees
   * the entry applied as a no-op. A change the changer would refuse outright is
   * rejected with INVALID_ARGUMENT instead, since it could never apply.
   */
  private vetConfChange(e: Entry, i: number): Entry {
    if (e.type !== "conf-change") return e;
    const cc = decodeConfChange(e.data);
    const alreadyPending = this.pendingConfIndex > this.raftLog.applied;
    const alreadyJoint = this.trk.config.voters.isJoint();
    const wantsLeaveJoint = isLeaveJoint(cc);
    if (
      alreadyPending ||
      (alreadyJoint && !wantsLeaveJoint) ||
      (!alreadyJoint && wantsLeaveJoint)
    ) {
      return { ...e, type: "normal", data: new Uint8Array() };
    }
    this.computeConfChange(cc); // throws INVALID_ARGUMENT if it could not apply
    this.pendingConfIndex = logIndex(this.raftLog.lastIndex() + i + 1);
    return e;
  }

  /**
   * The read index a local lease read gets at once on this leader, or
   * undefined when it would not be answered at once (not the leader, no entry
   * of its term committed yet, the lease does not hold): what a local
   * `MsgReadIndex` with `lease` puts in the next Ready's read states, without
   * waiting for that Ready. The caller still waits until it applied the index.
   */
  leaseReadIndex(): LogIndex | undefined {
    if (this.state !== "leader" || !this.committedEntryInCurrentTerm()) return undefined;
    if (this.trk.isSingleton()) return this.raftLog.committed;
    if (!this.leaseHolds()) return undefined;
    return this.raftLog.committed;
  }

  private handleLeaderReadIndex(m: MsgReadIndex): void {
    // A single voter needs no confirmation round, but it too waits for an entry
    // of its term to commit (below): unlike etcd, this commit index is not
    // persisted for every commit (the store lifts it to the applied index on
    // load), so after a restart it may lag entries committed, applied and
    // answered before the crash until the new term's first entry commits them.
    if (this.trk.isSingleton() && this.committedEntryInCurrentTerm()) {
      this.respondToReadIndex(m, this.raftLog.committed);
      return;
    }
    // Reads waiting for confirmation are bounded; past the bound they are refused.
    if (
      this.readOnly.size + this.pendingReadIndexMessages.length >=
      this.config.maxPendingReadIndex
    ) {
      if (m.from === this.id) {
        throw new TesseraError(
          "LIMIT_EXCEEDED",
          "raft: too many read requests pending (maxPendingReadIndex)",
        );
      }
      return;
    }
    // A new leader's commit index may lag until it commits an entry of its own term (thesis §6.4).
    if (!this.committedEntryInCurrentTerm()) {
      this.pendingReadIndexMessages.push(m);
      return;
    }
    this.sendReadIndexResponse(m);
  }

  private handleAppendResponse(m: MsgAppResp, pr: Progress): void {
    pr.recentActive = true;
    pr.heardAtTick = this.ticks;
    if (m.reject) {
      // The follower's hint (rejectHint, logTerm) lets us skip a whole term of conflicts at once.
      let nextProbeIdx = m.rejectHint;
      if (m.logTerm > 0)
        nextProbeIdx = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
        if (pr.state === "replicate") pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === "probe") {
      pr.becomeReplicate();
    } else if (pr.state === "snapshot" && pr.match + 1 >= this.raftLog.firstIndex()) {
      // The follower caught up past the compaction point: replicate from the log again.
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === "replicate") {
      pr.inflights.freeLE(m.index);
    }
    const committedBefore = this.raftLog.committed;
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      // A configuration change just committed is told at once: a member it
      // removes leaves the tracker when the change is applied here, and would
      // never hear of its removal from a later heartbeat.
      const confCommitted =
        this.pendingConfIndex > committedBefore && this.pendingConfIndex <= this.raftLog.committed;
      if (this.config.commitOnHeartbeat && !confCommitted) {
        // Entries still go out now; a bare commit index waits (Config.commitOnHeartbeat).
        this.trk.visit((id) => {
          if (id !== this.id) this.maybeSendAppend(id, false);
        });
      } else {
        this.broadcastAppend();
      }
    } else if (oldPaused && m.from !== this.id) {
      // The follower was paused and could not learn the commit index; tell it now.
      this.sendAppend(m.from);
    }
    if (m.from !== this.id) {
      // Flow control may now allow several messages at once; send what we can.
      while (this.maybeSendAppend(m.from, false)) {}
    }
    if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
      this.sendTimeoutNow(m.from);
    }
  }

  private handleHeartbeatResponse(m: MsgHeartbeatResp, pr: Progress): void {
    pr.recentActive = true;
    pr.heardAtTick = this.ticks;
    pr.msgAppFlowPaused = false;
    // Even a paused (full) follower gets an append, in case all in-flight appends were lost.
    // A caught-up follower in probe state gets an (empty) append so it can return to replicate.
    if (pr.match < this.raftLog.lastIndex() || pr.state === "probe") this.sendAppend(m.from);
    if (this.readOnly.option !== "safe" || !m.context) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (!acks || this.trk.config.voters.voteResult(acks) !== "won") return;
    for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
  }

  /** Whether this node is a voter of the configuration it applies. */
  private isVoterHere(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner;
  }

  /**
   * A leader that is no longer a voter starts a transfer to the voter with the
   * longest log, or steps down when there is none to hand over to.
   */
  private handOverLeadership(): void {
    if (this.leadTransferee !== NONE) return;
    let best: NodeId = NONE;
    let bestMatch = -1;
    this.trk.visit((id, pr) => {
      if (id === this.id || pr.isLearner || !this.trk.config.voters.incoming.has(id)) return;
      if (pr.match > bestMatch) {
        best = id;
        bestMatch = pr.match;
      }
    });
    if (best === NONE) {
      this.becomeFollower(this.term, NONE);
      return;
    }
    this.electionElapsed = 0;
    this.leadTransferee = best;
    if (bestMatch === this.raftLog.lastIndex()) this.sendTimeoutNow(best);
    else this.sendAppend(best);
  }

  private handleTransferLeader(m: MsgTransferLeader, pr: Progress): void {
    if (pr.isLearner) return;
    const transferee = m.from;
    if (this.leadTransferee !== NONE) {
      if (this.leadTransferee === transferee) return;
      this.abortLeaderTransfer();
    }
    if (transferee === this.id) return;
    // The transfer must finish within one election timeout (see tickHeartbeat).
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    if (pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(transferee);
    else this.sendAppend(transferee);
  }

  private stepCandidate(m: Message): void {
    const myVoteRespType = this.state === "pre-candidate" ? "MsgPreVoteResp" : "MsgVoteResp";
    switch (m.type) {
      case "MsgProp":
        dropped("no leader");
        break;
      case "MsgApp":
        this.becomeFollower(m.term, m.from); // always m.term === this.term
        this.handleAppendEntries(m);
        break;
      case "MsgHeartbeat":
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        break;
      case "MsgSnap":
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        break;
      case "MsgVoteResp":
      case "MsgPreVoteResp": {
        if (m.type !== myVoteRespType) return;
        const { result } = this.poll(m.from, !m.reject);
        if (result === "won") {
          if (this.state === "pre-candidate") {
            this.campaign("election");
          } else {
            this.becomeLeader();
            this.broadcastAppend();
          }
        } else if (result === "lost") {
          // A lost pre-vote or vote: back to follower, keeping the term.
          this.becomeFollower(this.term, NONE);
        }
        break;
      }
      case "MsgTimeoutNow": // a transfer to us ended with the old leader's term
      case "MsgHup":
      case "MsgBeat":
      case "MsgCheckQuorum":
      case "MsgAppResp":
      case "MsgVote":
      case "MsgPreVote":
      case "MsgHeartbeatResp":
      case "MsgUnreachable":
      case "MsgSnapStatus":
      case "MsgTransferLeader":
      case "MsgReadIndex":
      case "MsgReadIndexResp":
      case "MsgForgetLeader":
      case "MsgStorageAppend":
      case "MsgStorageAppendResp":
      case "MsgStorageApply":
      case "MsgStorageApplyResp":
        return; // not for a candidate, or handled by step()
      default:
        assertNever(m, "message");
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case "MsgProp":
        if (this.lead === NONE) dropped("no leader");
        if (this.config.disableProposalForwarding) dropped("proposal forwarding is disabled");
        this.send({ ...m, to: this.lead });
        break;
      case "MsgApp":
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        break;
      case "MsgHeartbeat":
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        break;
      case "MsgSnap":
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        break;
      case "MsgTransferLeader":
        if (this.lead === NONE) return;
        this.send({ type: "MsgTransferLeader", to: this.lead, from: m.from });
        break;
      case "MsgForgetLeader":
        // With lease reads, forgetting the leader would let another be elected inside its lease.
        if (this.config.readOnlyOption === "lease-based") return;
        this.lead = NONE;
        break;
      case "MsgTimeoutNow":
        // Transfers skip pre-vote: the cluster is known to be healthy.
        this.hup("transfer");
        break;
      case "MsgReadIndex": {
        if (this.lead === NONE) return;
        const { lease: _local, ...forwarded } = m;
        this.send({ ...forwarded, to: this.lead });
        break;
      }
      case "MsgReadIndexResp":
        this.readStates.push({ index: m.index, requestCtx: m.context });
        break;
      case "MsgHup":
      case "MsgBeat":
      case "MsgCheckQuorum":
      case "MsgAppResp":
      case "MsgVote":
      case "MsgVoteResp":
      case "MsgPreVote":
      case "MsgPreVoteResp":
      case "MsgHeartbeatResp":
      case "MsgUnreachable":
      case "MsgSnapStatus":
      case "MsgStorageAppend":
      case "MsgStorageAppendResp":
      case "MsgStorageApply":
      case "MsgStorageApplyResp":
        return; // stale responses, leader-only messages, or handled by step()
      default:
        assertNever(m, "message");
    }
  }

  /** AppendEntries receiver (§5.3, Figure 2). */
  private handleAppendEntries(m: MsgApp): void {
    const reply = (
      index: LogIndex,
      reject = false,
      rejectHint = logIndex(0),
      logTerm = term(0),
    ): void => this.send({ type: "MsgAppResp", to: m.from, index, reject, rejectHint, logTerm });
    // Entries up to our commit index match the leader's already (Leader Completeness).
    if (m.index < this.raftLog.committed) {
      reply(this.raftLog.committed);
      return;
    }
    const lastNew = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      reply(lastNew);
      return;
    }
    // Mismatch: hint the largest (index, term) at which our logs may match, so
    // the leader can skip every entry of a conflicting term in one round trip.
    const hintIndex = logIndex(Math.min(m.index, this.raftLog.lastIndex()));
    const hint = this.raftLog.findConflictByTerm(hintIndex, m.logTerm);
    reply(m.index, true, hint.index, hint.term);
  }

  private handleHeartbeat(m: MsgHeartbeat): void {
    this.raftLog.commitTo(m.commit);
    this.send(
      m.context
        ? { type: "MsgHeartbeatResp", to: m.from, context: m.context }
        : { type: "MsgHeartbeatResp", to: m.from },
    );
  }

  /** InstallSnapshot receiver (§7). */
  private handleSnapshot(m: MsgSnap): void {
    const restored = this.restore(m.snapshot);
    const index = restored ? this.raftLog.lastIndex() : this.raftLog.committed;
    this.send({
      type: "MsgAppResp",
      to: m.from,
      index,
      reject: false,
      rejectHint: logIndex(0),
      logTerm: term(0),
    });
  }

  /** Installs `s` if it is newer than our commit index; returns whether it did. */
  restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.raftLog.committed) return false;
    if (this.state !== "follower") {
      // Only a follower takes a snapshot; a leader receiving one is a bug elsewhere. Be safe.
      this.becomeFollower(term(this.term + 1), NONE);
      return false;
    }
    // Committed entries are in the application's hands (async apply, or a Ready not yet
    // advanced): it will call applyConfChange for any conf change among them, which must
    // not land on a configuration restored from a later snapshot. Take the snapshot later.
    if (this.raftLog.applying > this.raftLog.applied) return false;
    const cs = s.metadata.confState;
    const member = [cs.voters, cs.learners, cs.votersOutgoing].some((ids) => ids.includes(this.id));
    if (!member) return false;
    if (this.raftLog.matchTerm(s.metadata.index, s.metadata.term)) {
      // We already have the snapshot's last entry: just fast-forward the commit index.
      this.raftLog.commitTo(s.metadata.index);
      return false;
    }
    this.raftLog.restore(s);
    this.trk = new ProgressTracker(this.trk.maxInflight, this.trk.maxInflightBytes);
    const r = restoreConfState(this.trk, this.raftLog.lastIndex(), cs);
    this.switchToConfig(r);
    return true;
  }

  /** Whether this node may become leader: a voter, not in the middle of taking a snapshot. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasNextOrInProgressSnapshot();
  }

  private computeConfChange(cc: ConfChange): ChangeResult {
    const changer = new Changer(this.trk, this.raftLog.lastIndex());
    if (isLeaveJoint(cc)) return changer.leaveJoint();
    const { joint, autoLeave } = entersJoint(cc);
    return joint ? changer.enterJoint(autoLeave, cc.changes) : changer.simple(cc.changes);
  }

  /** Applies a committed conf change (§6); a change that cannot apply is a bug (it was vetted). */
  applyConfChange(cc: ConfChange): ConfState {
    let r: ChangeResult;
    try {
      r = this.computeConfChange(cc);
    } catch (e) {
      assert(false, `committed conf change cannot be applied: ${(e as Error).message}`);
    }
    return this.switchToConfig(r);
  }

  /** Installs a new configuration and does what it makes necessary. */
  private switchToConfig(r: ChangeResult): ConfState {
    this.trk.config = r.config;
    this.trk.progress = r.progress;
    const cs = this.trk.confState();
    for (const id of cs.learners)
      assert(!cs.voters.includes(id), `${id} is both voter and learner`);
    const pr = this.trk.progress.get(this.id);
    this.isLearner = pr?.isLearner ?? false;
    if ((!pr || this.isLearner) && this.state === "leader" && this.config.stepDownOnRemoval) {
      // Removed or demoted, this leader hands leadership to a voter of the new
      // configuration (thesis §4.2.2) instead of stepping down at once: voters
      // that have not yet learned the change committed still count this node
      // in their quorum and would wait forever for a vote it refuses them (its
      // log is longer). Until the hand-over it keeps leading and committing.
      this.handOverLeadership();
    }
    if (this.state !== "leader" || cs.voters.length === 0) return cs;
    if (this.maybeCommit()) {
      this.broadcastAppend();
    } else {
      // Probe new members right away rather than after a heartbeat interval.
      this.trk.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id, false);
      });
    }
    if (this.leadTransferee !== NONE && !this.trk.config.voters.has(this.leadTransferee)) {
      this.abortLeaderTransfer();
    }
    return cs;
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout =
      this.config.electionTick + this.config.rng.intn(this.config.electionTick);
  }

  private pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.termOrUndefined(this.raftLog.committed) === this.term;
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0) return;
    if (!this.committedEntryInCurrentTerm()) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.sendReadIndexResponse(m);
  }

  private sendReadIndexResponse(m: MsgReadIndex): void {
    if (this.trk.isSingleton()) {
      this.respondToReadIndex(m, this.raftLog.committed);
      return;
    }
    const option = m.lease === true && this.leaseHolds() ? "lease-based" : this.readOnly.option;
    switch (option) {
      case "safe":
        this.readOnly.addRequest(this.raftLog.committed, m);
        // The leader acknowledges its own request; a heartbeat round collects the rest.
        this.readOnly.recvAck(this.id, m.context);
        this.broadcastHeartbeatWithCtx(m.context);
        break;
      case "lease-based":
        this.respondToReadIndex(m, this.raftLog.committed);
        break;
      default:
        assertNever(option, "read-only option");
    }
  }

  /**
   * Whether this leader's lease holds now (thesis §6.4.1), for a per-request
   * lease read. It needs CheckQuorum (followers refuse votes for an election
   * timeout after hearing from their leader) and no transfer in progress (the
   * transferee campaigns at once). And it needs a quorum of voters whose last
   * answer arrived fewer than `electionTick - LEASE_MARGIN_TICKS` ticks ago
   * (the leader counting itself): each of them heard from this leader no
   * earlier than that answer's delay before it, so while the margin covers
   * that delay (and tick skew) each still refuses votes, and no other leader
   * can be elected. Otherwise the read is served safely, with a heartbeat
   * round.
   *
   * The window slides with every answer, so under steady heartbeats the lease
   * holds at all times. (Counting only the answers since the last CheckQuorum
   * round, as the quorum check does, rests on the same bound but lets the
   * lease lapse for the last ticks of every round, and until the answers of
   * the next one arrive.)
   */
  private leaseHolds(): boolean {
    if (!this.config.checkQuorum || this.leadTransferee !== NONE || !this.isVoterHere())
      return false;
    // TEST-ONLY deliberate bug (see Config.testingKnobs): the lease never runs out.
    if (this.config.testingKnobs.leaseIgnoresExpiry) return true;
    const window = this.config.electionTick - LEASE_MARGIN_TICKS;
    return this.trk.quorumHeardWithin(this.id, this.ticks, window);
  }

  private respondToReadIndex(req: MsgReadIndex, index: LogIndex): void {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index, requestCtx: req.context });
      return;
    }
    this.send({ type: "MsgReadIndexResp", to: req.from, index, context: req.context });
  }
}

export function emptyEntry(): Entry {
  return { term: term(0), index: logIndex(0), type: "normal", data: new Uint8Array() };
}

export function confChangeEntry(cc: ConfChange): Entry {
  return { ...emptyEntry(), type: "conf-change", data: encodeConfChange(cc) };
}
