/**
 * `RawNode`: the thread-unsafe driver-facing API of one Raft node
 * (etcd-io/raft rawnode.go). The driver ticks it, steps messages into it,
 * proposes, and collects effects as `Ready` values.
 *
 * Operating errors are `TesseraError`s: proposals refused with PROPOSAL_DROPPED
 * (no leader, transfer in progress, forwarding disabled) or LIMIT_EXCEEDED
 * (maxUncommittedEntriesSize), conf changes that could never apply with
 * INVALID_ARGUMENT, a bad config with INVALID_ARGUMENT. Broken invariants are
 * `AssertionError`s and must crash the process.
 *
 * The Ready contract (synchronous mode, the default). For each Ready, in order:
 *   1. persist `snapshot` (if any), `entries` and `hardState` (if any) to
 *      stable storage — atomically or in that order;
 *   2. send `messages` (only after step 1: they may promise durable state);
 *   3. apply `snapshot` and then `committedEntries` to the state machine
 *      (calling `applyConfChange` for conf-change entries);
 *   4. call `advance(rd)`. No new Ready may be taken before that.
 *
 * Async storage writes (`asyncStorageWrites`): no `advance`. A Ready instead
 * carries `MsgStorageAppend` (to LOCAL_APPEND_THREAD) and `MsgStorageApply`
 * (to LOCAL_APPLY_THREAD) among its messages. The driver persists an append
 * message's contents (and applies its snapshot, if any, to the state
 * machine), then delivers its `responses` (stepping those addressed to this
 * node, sending the others); it applies an apply message's entries, then steps
 * its responses. Other messages may be sent at once. Appends must be processed
 * in order, applies too, and an apply never overtakes the append of the same
 * entries (Raft only hands out entries that are already durable for apply).
 *
 * Invariants: a Ready's hardState is present only when it changed; entries are
 * handed out once (in async mode, while they await an ack they stay readable).
 */
import { assert, logIndex, type NodeId, TesseraError, term } from "../lib/index.js";
import { encodeConfChange } from "./conf-change-codec.js";
import { type Config, validateConfig } from "./config.js";
import { LOCAL_APPEND_THREAD, LOCAL_APPLY_THREAD, NONE, Raft } from "./raft.js";
import { getStatus, type Status } from "./status.js";
import type { LogStorage } from "./storage.js";
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  isLocalMsg,
  isResponseMsg,
  type Message,
  type ReadState,
  type Snapshot,
  type SoftState,
} from "./types.js";

export interface Ready {
  /** The new soft state, when it changed (not to be persisted). */
  readonly softState?: SoftState;
  /** The hard state to persist, when it changed. */
  readonly hardState?: HardState;
  /** Linearizable read points for ReadIndex requests. */
  readonly readStates: readonly ReadState[];
  /** Entries to persist before sending messages. */
  readonly entries: readonly Entry[];
  /** A snapshot to persist (and then apply), if any. */
  readonly snapshot?: Snapshot;
  /** Committed entries to apply (already persisted, or persisted with this Ready). */
  readonly committedEntries: readonly Entry[];
  /** Messages to send after persisting. */
  readonly messages: readonly Message[];
  /** Whether the writes of this Ready must be synced to disk before sending. */
  readonly mustSync: boolean;
}

export type SnapshotStatus = "finish" | "failure";

const NO_READ_STATES: readonly ReadState[] = Object.freeze([]);

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.lead === b.lead && a.raftState === b.raftState;
}

export class RawNode {
  /** The state machine itself; exposed read-mostly for status, tests and tooling. */
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private stepsOnAdvance: Message[] = [];
  private readonly asyncStorageWrites: boolean;
  private readyPending = false;

  /** Throws INVALID_ARGUMENT on a bad config. */
  constructor(config: Config, storage: LogStorage) {
    const resolved = validateConfig(config);
    this.raft = new Raft(resolved, storage);
    this.asyncStorageWrites = resolved.asyncStorageWrites;
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  get id(): NodeId {
    return this.raft.id;
  }

  /** Advances the logical clock by one tick. */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (PreVote first if configured). */
  campaign(): void {
    this.raft.step({ type: "MsgHup", from: this.id, to: this.id, term: term(0) });
  }

  /** Proposes `data` for the log; throws PROPOSAL_DROPPED or LIMIT_EXCEEDED if refused. */
  propose(data: Uint8Array): void {
    this.raft.step({
      type: "MsgProp",
      from: this.id,
      to: this.id,
      term: term(0),
      entries: [{ term: term(0), index: logIndex(0), type: "normal", data }],
    });
  }

  /**
   * Proposes every item of `data` as one batch of consecutive entries (one
   * append per follower for all of them); all or none are accepted.
   */
  proposeBatch(data: readonly Uint8Array[]): void {
    this.raft.step({
      type: "MsgProp",
      from: this.id,
      to: this.id,
      term: term(0),
      entries: data.map((d) => ({ term: term(0), index: logIndex(0), type: "normal", data: d })),
    });
  }

  /** Proposes a configuration change (see Raft.vetConfChange for what is refused). */
  proposeConfChange(cc: ConfChange): void {
    this.raft.step({
      type: "MsgProp",
      from: this.id,
      to: this.id,
      term: term(0),
      entries: [
        { term: term(0), index: logIndex(0), type: "conf-change", data: encodeConfChange(cc) },
      ],
    });
  }

  /** Applies a committed conf change; the application calls this when it applies the entry. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /**
   * Steps a message received from the network or (async mode) a storage
   * response. Local message types from elsewhere are refused with
   * INVALID_ARGUMENT; responses from unknown peers are ignored. A forwarded
   * proposal the leader refuses throws PROPOSAL_DROPPED / LIMIT_EXCEEDED.
   */
  step(m: Message): void {
    if (isLocalMsg(m.type) && m.from !== LOCAL_APPEND_THREAD && m.from !== LOCAL_APPLY_THREAD) {
      throw new TesseraError("INVALID_ARGUMENT", `raft: cannot step local message ${m.type}`);
    }
    if (isResponseMsg(m.type) && !this.raft.trk.progress.has(m.from)) return;
    this.raft.step(m);
  }

  /**
   * Requests a linearizable read point; it arrives as a ReadState with the same
   * context. `mode` overrides the node-wide `readOnlyOption` for this request:
   * "safe" confirms leadership with a heartbeat round (thesis §6.4); "lease"
   * answers at once from the leader's lease (§6.4.1) — sound only with
   * CheckQuorum on (a leader that lost its quorum steps down within an
   * election timeout, and followers ignore votes inside it), so without
   * CheckQuorum, or while a leader transfer is in progress (the transferee
   * campaigns inside the lease), a lease request is served safely. On a
   * follower a request is forwarded to the leader and served safely.
   */
  readIndex(ctx: Uint8Array, opts?: { readonly mode?: "safe" | "lease" }): void {
    this.raft.step({
      type: "MsgReadIndex",
      from: this.id,
      to: this.id,
      term: term(0),
      context: ctx,
      ...(opts?.mode === "lease" ? { lease: true } : {}),
    });
  }

  /** Asks the leader to transfer leadership to `to`. */
  transferLeader(to: NodeId): void {
    this.raft.step({ type: "MsgTransferLeader", from: to, to: this.id, term: term(0) });
  }

  /** Forgets the current leader (followers only; ignored with lease-based reads). */
  forgetLeader(): void {
    this.raft.step({ type: "MsgForgetLeader", from: this.id, to: this.id, term: term(0) });
  }

  reportUnreachable(id: NodeId): void {
    this.raft.step({ type: "MsgUnreachable", from: id, to: this.id, term: term(0) });
  }

  reportSnapshot(id: NodeId, status: SnapshotStatus): void {
    this.raft.step({
      type: "MsgSnapStatus",
      from: id,
      to: this.id,
      term: term(0),
      reject: status === "failure",
    });
  }

  status(): Status {
    return getStatus(this.raft);
  }

  /** Runs for every replica in every scheduler round: it compares fields, allocating nothing. */
  /**
   * Takes the heartbeats and heartbeat responses waiting in Raft's outbox, to
   * be sent now rather than with the next Ready. Neither promises anything
   * about the log: what does (append and vote responses) waits in
   * `msgsAfterAppend`, as in etcd. They do carry the term, so the caller takes
   * them only while the term and vote are durable.
   */
  takeHeartbeats(): Message[] {
    const r = this.raft;
    if (!r.msgs.some(isHeartbeat)) return [];
    const taken: Message[] = [];
    const kept: Message[] = [];
    for (const m of r.msgs) (isHeartbeat(m) ? taken : kept).push(m);
    // A new array, as acceptReady leaves one: a Ready handed out may own the old.
    r.msgs = kept;
    return taken;
  }

  hasReady(): boolean {
    const r = this.raft;
    const soft = this.prevSoftState;
    if (r.lead !== soft.lead || r.state !== soft.raftState) return true;
    const hard = this.prevHardState;
    if (r.term !== hard.term || r.vote !== hard.vote || r.raftLog.committed !== hard.commit)
      return true;
    if (r.raftLog.hasNextUnstableSnapshot()) return true;
    if (r.msgs.length > 0 || r.msgsAfterAppend.length > 0) return true;
    if (r.raftLog.hasNextUnstableEnts() || r.raftLog.hasNextCommittedEnts(!this.asyncStorageWrites))
      return true;
    return r.readStates.length > 0;
  }

  /** Takes the pending effects. In synchronous mode, call advance(rd) after handling it. */
  ready(): Ready {
    assert(this.asyncStorageWrites || !this.readyPending, "ready() called twice without advance()");
    const rd = this.readyWithoutAccept();
    this.acceptReady(rd);
    return rd;
  }

  private readyWithoutAccept(): Ready {
    const r = this.raft;
    const entries = r.raftLog.nextUnstableEnts();
    const committedEntries = r.raftLog.nextCommittedEnts(!this.asyncStorageWrites);
    const soft = r.softState();
    const hard = r.hardState();
    const softState = sameSoftState(soft, this.prevSoftState) ? undefined : soft;
    const hardState = sameHardState(hard, this.prevHardState) ? undefined : hard;
    const snapshot = r.raftLog.nextUnstableSnapshot();
    // acceptReady replaces r.msgs and a non-empty r.readStates (never clears
    // them in place), so the Ready can own them; an empty readStates is not
    // handed out, as Raft goes on pushing to it. Optional fields are set only
    // when present.
    const messages: Message[] = r.msgs;
    const rd: { -readonly [K in keyof Ready]: Ready[K] } = {
      readStates: r.readStates.length > 0 ? r.readStates : NO_READ_STATES,
      entries,
      committedEntries,
      messages,
      mustSync:
        entries.length > 0 ||
        hard.vote !== this.prevHardState.vote ||
        hard.term !== this.prevHardState.term,
    };
    if (softState) rd.softState = softState;
    if (hardState) rd.hardState = hardState;
    if (snapshot) rd.snapshot = snapshot;
    if (this.asyncStorageWrites) {
      if (entries.length > 0 || hardState || snapshot || r.msgsAfterAppend.length > 0) {
        const responses: Message[] = r.msgsAfterAppend.slice();
        if (r.raftLog.hasNextOrInProgressUnstableEnts() || snapshot)
          responses.push(this.storageAppendResp(snapshot));
        messages.push({
          type: "MsgStorageAppend",
          from: this.id,
          to: LOCAL_APPEND_THREAD,
          term: term(0),
          entries,
          responses,
          ...(hardState ? { hardState } : {}),
          ...(snapshot ? { snapshot } : {}),
        });
      }
      if (committedEntries.length > 0) {
        messages.push({
          type: "MsgStorageApply",
          from: this.id,
          to: LOCAL_APPLY_THREAD,
          term: term(0),
          entries: committedEntries,
          responses: [this.storageApplyResp(committedEntries)],
        });
      }
    } else {
      for (const m of r.msgsAfterAppend) if (m.to !== this.id) messages.push(m);
    }
    return rd;
  }

  /**
   * Acknowledges the append of everything unstable now. The acked (index, term)
   * is the last entry at the time of the Ready; if those entries are replaced
   * before the ack arrives, the term no longer matches and the ack is ignored.
   */
  private storageAppendResp(snapshot: Snapshot | undefined): Message {
    const r = this.raft;
    const hasEnts = r.raftLog.hasNextOrInProgressUnstableEnts();
    const index = hasEnts ? r.raftLog.lastIndex() : logIndex(0);
    const logTerm = hasEnts ? r.raftLog.lastTerm() : term(0);
    return {
      type: "MsgStorageAppendResp",
      from: LOCAL_APPEND_THREAD,
      to: this.id,
      term: r.term,
      index,
      logTerm,
      ...(snapshot ? { snapshot } : {}),
    };
  }

  private storageApplyResp(entries: readonly Entry[]): Message {
    return {
      type: "MsgStorageApplyResp",
      from: LOCAL_APPLY_THREAD,
      to: this.id,
      term: term(0),
      entries,
    };
  }

  private acceptReady(rd: Ready): void {
    const r = this.raft;
    if (rd.softState) this.prevSoftState = rd.softState;
    if (rd.hardState) this.prevHardState = rd.hardState;
    if (rd.readStates.length > 0) r.readStates = [];
    if (!this.asyncStorageWrites) {
      assert(
        this.stepsOnAdvance.length === 0,
        "two accepted Ready structs without call to advance",
      );
      for (const m of r.msgsAfterAppend) if (m.to === this.id) this.stepsOnAdvance.push(m);
      if (r.raftLog.hasNextOrInProgressUnstableEnts() || rd.snapshot) {
        this.stepsOnAdvance.push(this.storageAppendResp(rd.snapshot));
      }
      if (rd.committedEntries.length > 0)
        this.stepsOnAdvance.push(this.storageApplyResp(rd.committedEntries));
      this.readyPending = true;
    }
    r.msgs = [];
    r.msgsAfterAppend = [];
    r.raftLog.acceptUnstable();
    if (rd.committedEntries.length > 0) {
      r.raftLog.acceptApplying(rd.committedEntries[rd.committedEntries.length - 1]!.index);
    }
  }

  /** Signals that the last Ready was persisted, sent and applied (synchronous mode only). */
  advance(_rd?: Ready): void {
    assert(!this.asyncStorageWrites, "advance must not be called when using asyncStorageWrites");
    const steps = this.stepsOnAdvance;
    this.stepsOnAdvance = [];
    this.readyPending = false;
    for (const m of steps) this.raft.step(m);
  }

  /** Bytes of uncommitted proposals the leader holds (for observability). */
  uncommittedSize(): number {
    return this.raft.uncommittedSize;
  }
}

export { NONE };

function isHeartbeat(m: Message): boolean {
  return m.type === "MsgHeartbeat" || m.type === "MsgHeartbeatResp";
}
