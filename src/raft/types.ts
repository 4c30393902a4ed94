/**
 * The data Raft exchanges with the world: log entries, the persistent hard
 * state, the configuration state, snapshots, configuration changes and the
 * closed union of messages (Raft paper §5, §6; etcd-io/raft's raftpb).
 *
 * Invariants: an entry's index is its position in the log (≥ 1) and its term is
 * the leader term that created it; a message's `term` is 0 for local messages
 * (those a node gives itself, except the storage acks, which carry the term
 * they were issued in) and for proposals and read requests forwarded to the
 * leader, which are not bound to a term. Every message type is a member of
 * `Message`; switches over it end in `assertNever`.
 */
import type { LogIndex, NodeId, Term } from "../lib/index.js";

/** A normal entry carries application data; a conf-change entry an encoded `ConfChange`. */
export type EntryType = "normal" | "conf-change";

export interface Entry {
  readonly term: Term;
  readonly index: LogIndex;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What a node must persist before it answers anyone (§5.1, Figure 2 "persistent state"). */
export interface HardState {
  readonly term: Term;
  readonly vote: NodeId;
  readonly commit: LogIndex;
}

/**
 * The membership a node is configured with (§6). `votersOutgoing` is non-empty
 * only in a joint configuration; `learnersNext` are voters of the outgoing
 * configuration that become learners when the joint configuration is left.
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly votersOutgoing: readonly NodeId[];
  readonly learnersNext: readonly NodeId[];
  readonly autoLeave: boolean;
}

export interface SnapshotMetadata {
  readonly confState: ConfState;
  readonly index: LogIndex;
  readonly term: Term;
}

/** A state machine image at `metadata.index` (§7). */
export interface Snapshot {
  readonly data: Uint8Array;
  readonly metadata: SnapshotMetadata;
}

export type ConfChangeType = "add-node" | "remove-node" | "add-learner";

export interface ConfChangeSingle {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

/**
 * How a configuration change is carried out:
 * - "auto": a single change of one voter is applied directly (one step); any
 *   other change goes through joint consensus and the joint state is left
 *   automatically;
 * - "joint-implicit": always joint, left automatically by the leader;
 * - "joint-explicit": always joint, left only when the application proposes an
 *   empty conf change.
 */
export type ConfChangeTransition = "auto" | "joint-implicit" | "joint-explicit";

export interface ConfChange {
  readonly transition: ConfChangeTransition;
  readonly changes: readonly ConfChangeSingle[];
  /** Opaque to Raft; the application may use it to identify the change. */
  readonly context?: Uint8Array;
}

export type StateType = "follower" | "candidate" | "leader" | "pre-candidate";

/** Volatile state worth reporting to the application; changes appear in a Ready. */
export interface SoftState {
  readonly lead: NodeId;
  readonly raftState: StateType;
}

/** The answer to a read-only request: reads at `index` or later are linearizable. */
export interface ReadState {
  readonly index: LogIndex;
  readonly requestCtx: Uint8Array;
}

// ---------------------------------------------------------------------------
// Messages

interface Base {
  readonly from: NodeId;
  readonly to: NodeId;
  /** The sender's term; 0 for local messages and forwarded proposals/reads. */
  readonly term: Term;
}

/** Local: start an election (or pre-election). */
export interface MsgHup extends Base {
  readonly type: "MsgHup";
}
/** Local: a leader sends heartbeats. */
export interface MsgBeat extends Base {
  readonly type: "MsgBeat";
}
/** Local: a leader checks it has heard from a quorum (CheckQuorum). */
export interface MsgCheckQuorum extends Base {
  readonly type: "MsgCheckQuorum";
}
/** A proposal: local, or forwarded by a follower to its leader. */
export interface MsgProp extends Base {
  readonly type: "MsgProp";
  readonly entries: readonly Entry[];
}
/** AppendEntries RPC (§5.3). */
export interface MsgApp extends Base {
  readonly type: "MsgApp";
  readonly logTerm: Term;
  readonly index: LogIndex;
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
}
/**
 * AppendEntries response. On success `index` is the last index known to match.
 * On rejection `index` echoes the probed index and (`rejectHint`, `logTerm`) is
 * the follower's hint: its largest index ≤ the probe whose term ≤ the probe's term.
 */
export interface MsgAppResp extends Base {
  readonly type: "MsgAppResp";
  readonly index: LogIndex;
  readonly reject: boolean;
  readonly rejectHint: LogIndex;
  readonly logTerm: Term;
}
/** RequestVote RPC (§5.2); `transfer` marks a campaign forced by leader transfer. */
export interface MsgVote extends Base {
  readonly type: "MsgVote";
  readonly index: LogIndex;
  readonly logTerm: Term;
  readonly transfer: boolean;
}
export interface MsgVoteResp extends Base {
  readonly type: "MsgVoteResp";
  readonly reject: boolean;
}
/** PreVote (Ongaro's thesis §9.6): asks whether a vote would be granted at `term`. */
export interface MsgPreVote extends Base {
  readonly type: "MsgPreVote";
  readonly index: LogIndex;
  readonly logTerm: Term;
  readonly transfer: boolean;
}
export interface MsgPreVoteResp extends Base {
  readonly type: "MsgPreVoteResp";
  readonly reject: boolean;
}
/** InstallSnapshot RPC (§7). */
export interface MsgSnap extends Base {
  readonly type: "MsgSnap";
  readonly snapshot: Snapshot;
}
export interface MsgHeartbeat extends Base {
  readonly type: "MsgHeartbeat";
  readonly commit: LogIndex;
  /** A ReadIndex request context being confirmed by this round, if any. */
  readonly context?: Uint8Array;
  /**
   * Set by the application, never by Raft: the leader's last heartbeat before
   * it stops ticking an idle group (range quiescence, src/range/quiesce.ts).
   * Raft steps it as a plain heartbeat.
   */
  readonly quiesce?: true;
}
export interface MsgHeartbeatResp extends Base {
  readonly type: "MsgHeartbeatResp";
  readonly context?: Uint8Array;
}
/** Local: the transport could not reach `from`. */
export interface MsgUnreachable extends Base {
  readonly type: "MsgUnreachable";
}
/** Local: the outcome of sending a snapshot to `from`. */
export interface MsgSnapStatus extends Base {
  readonly type: "MsgSnapStatus";
  readonly reject: boolean;
}
/** Asks the leader to hand leadership to `from` (§3.10 of the thesis). */
export interface MsgTransferLeader extends Base {
  readonly type: "MsgTransferLeader";
}
/** Tells the transferee to campaign now, skipping its election timeout. */
export interface MsgTimeoutNow extends Base {
  readonly type: "MsgTimeoutNow";
}
/** A read-only query (thesis §6.4), local or forwarded to the leader. */
export interface MsgReadIndex extends Base {
  readonly type: "MsgReadIndex";
  readonly context: Uint8Array;
  /**
   * Local requests only (never on the wire): answer from the leader's lease
   * instead of a heartbeat round, when the lease is sound (see
   * RawNode.readIndex). A forwarded request is always served safely.
   */
  readonly lease?: boolean;
}
export interface MsgReadIndexResp extends Base {
  readonly type: "MsgReadIndexResp";
  readonly index: LogIndex;
  readonly context: Uint8Array;
}
/** Local: a follower forgets its leader (used to allow a quicker election). */
export interface MsgForgetLeader extends Base {
  readonly type: "MsgForgetLeader";
}
/**
 * Async storage writes: asks the storage thread to persist `entries`,
 * `hardState` and `snapshot`, then deliver `responses`.
 */
export interface MsgStorageAppend extends Base {
  readonly type: "MsgStorageAppend";
  readonly entries: readonly Entry[];
  readonly hardState?: HardState;
  readonly snapshot?: Snapshot;
  readonly responses: readonly Message[];
}
/** Acknowledges a persisted append up to (`index`, `logTerm`) and/or a snapshot. */
export interface MsgStorageAppendResp extends Base {
  readonly type: "MsgStorageAppendResp";
  readonly index: LogIndex;
  readonly logTerm: Term;
  readonly snapshot?: Snapshot;
}
/** Async storage writes: asks the apply thread to apply `entries`, then deliver `responses`. */
export interface MsgStorageApply extends Base {
  readonly type: "MsgStorageApply";
  readonly entries: readonly Entry[];
  readonly responses: readonly Message[];
}
export interface MsgStorageApplyResp extends Base {
  readonly type: "MsgStorageApplyResp";
  readonly entries: readonly Entry[];
}

export type Message =
  | MsgHup
  | MsgBeat
  | MsgCheckQuorum
  | MsgProp
  | MsgApp
  | MsgAppResp
  | MsgVote
  | MsgVoteResp
  | MsgPreVote
  | MsgPreVoteResp
  | MsgSnap
  | MsgHeartbeat
  | MsgHeartbeatResp
  | MsgUnreachable
  | MsgSnapStatus
  | MsgTransferLeader
  | MsgTimeoutNow
  | MsgReadIndex
  | MsgReadIndexResp
  | MsgForgetLeader
  | MsgStorageAppend
  | MsgStorageAppendResp
  | MsgStorageApply
  | MsgStorageApplyResp;

export type MessageType = Message["type"];

/** Messages a node only ever gives itself; they never cross the network. */
export function isLocalMsg(type: MessageType): boolean {
  switch (type) {
    case "MsgHup":
    case "MsgBeat":
    case "MsgUnreachable":
    case "MsgSnapStatus":
    case "MsgCheckQuorum":
    case "MsgStorageAppend":
    case "MsgStorageAppendResp":
    case "MsgStorageApply":
    case "MsgStorageApplyResp":
      return true;
    default:
      return false;
  }
}

/** Responses: a message from an unknown peer of one of these types is ignored. */
export function isResponseMsg(type: MessageType): boolean {
  switch (type) {
    case "MsgAppResp":
    case "MsgVoteResp":
    case "MsgHeartbeatResp":
    case "MsgUnreachable":
    case "MsgPreVoteResp":
      return true;
    default:
      return false;
  }
}

/** Messages addressed to the local storage or apply thread in async-writes mode. */
export function isLocalStorageMsg(type: MessageType): boolean {
  return (
    type === "MsgStorageAppend" ||
    type === "MsgStorageAppendResp" ||
    type === "MsgStorageApply" ||
    type === "MsgStorageApplyResp"
  );
}

export const EMPTY_CONF_STATE: ConfState = {
  voters: [],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
};
