/**
 * The configuration of one Raft node, and its validation. Every limit is
 * explicit and checked once at construction; a bad configuration is an
 * operating error (`INVALID_ARGUMENT`), not a crash.
 *
 * Invariants after validation: heartbeatTick < electionTick (a leader must be
 * heard several times per election timeout, §5.2), every limit is positive, and
 * lease-based reads require CheckQuorum (the lease is only sound if the leader
 * steps down when it loses touch with a quorum; thesis §6.4.1).
 */
import {
  type LogIndex,
  logIndex,
  type NodeId,
  type Rng,
  type Term,
  TesseraError,
  term,
} from "../lib/index.js";

/** "safe": ReadIndex confirms leadership with a heartbeat round. "lease-based": trusts the leader lease. */
export type ReadOnlyOption = "safe" | "lease-based";

/**
 * TEST-ONLY deliberate bugs, for proving that the cluster simulator (test/sim)
 * catches a broken consensus core. Never set outside tests; both default to off.
 */
export interface RaftTestingKnobs {
  /**
   * A leader keeps its lease (and serves lease-based reads) after the lease
   * expired: CheckQuorum never makes it step down when it lost its quorum.
   */
  readonly leaseIgnoresExpiry?: boolean;
  /**
   * Skips the Figure-8 rule (§5.4.2): a leader commits an entry of a previous
   * term by counting the replicas that hold it.
   */
  readonly commitPriorTermEntries?: boolean;
}

export interface Config {
  /** This node's id; never 0. */
  readonly id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns; the timeout is randomized in [electionTick, 2*electionTick). */
  readonly electionTick: number;
  /** Ticks between a leader's heartbeats. */
  readonly heartbeatTick: number;
  /** The last index the application has applied; only needed on restart. */
  readonly applied?: LogIndex;
  /** Max bytes of entries in one append message (at least one entry is always sent). */
  readonly maxSizePerMsg?: number;
  /** Max bytes of committed entries handed to the application in one Ready. */
  readonly maxCommittedSizePerReady?: number;
  /** Max bytes of uncommitted entries a leader accepts; 0 = unlimited. */
  readonly maxUncommittedEntriesSize?: number;
  /** Max ReadIndex requests a leader holds awaiting confirmation (default 10000). */
  readonly maxPendingReadIndex?: number;
  /** Max append messages in flight to one follower in replicate state. */
  readonly maxInflightMsgs: number;
  /** Max bytes of entries in flight to one follower; 0 = unlimited. */
  readonly maxInflightBytes?: number;
  /** A leader steps down when it has not heard from a quorum within an election timeout. */
  readonly checkQuorum?: boolean;
  /** Run a pre-election before incrementing the term (thesis §9.6). */
  readonly preVote?: boolean;
  readonly readOnlyOption?: ReadOnlyOption;
  /** Followers drop proposals instead of forwarding them to the leader. */
  readonly disableProposalForwarding?: boolean;
  /** A leader removed from the configuration steps down when the removal is applied. */
  readonly stepDownOnRemoval?: boolean;
  /** Persistence and apply are requested with local messages (see Ready). */
  readonly asyncStorageWrites?: boolean;
  /**
   * When the leader's commit index advances, followers learn it from the next
   * append that carries entries or the next heartbeat, instead of from an
   * append sent at once with nothing but the commit index. A leader whose
   * range takes one write per round (many ranges sharing a store) otherwise
   * sends every follower two appends per write, and each follower makes two
   * Readies of it. Followers then apply up to a heartbeat interval later;
   * what the leader commits, and when, is unchanged (followers' commit
   * knowledge is never part of a decision: safety does not depend on it).
   */
  readonly commitOnHeartbeat?: boolean;
  /**
   * The periodic heartbeat is not sent to a follower that is replicating
   * and was sent an append since the previous heartbeat round: the append
   * did what the heartbeat would (it resets the follower's election timer,
   * carries the commit index, and its answer counts toward CheckQuorum and
   * the lease). Heartbeats that confirm a read are always sent. With many
   * ranges busy at once, heartbeats otherwise make as many messages as the
   * writes do. A follower then learns the last commit index of a burst from
   * the heartbeat of the first round without appends (with commitOnHeartbeat).
   */
  readonly skipHeartbeatsWhileAppending?: boolean;
  /** The source of every random choice (election timeouts). */
  readonly rng: Rng;
  /**
   * A log position this node's votes must not go below: it grants a vote
   * (or pre-vote) only to a candidate whose last entry is at least as up to
   * date as this too, whatever its own log holds. For a replica created anew
   * where an earlier replica of the group was destroyed (removed): the old
   * one may have been part of the quorum that committed entries up to this
   * position, and a stale candidate still counting this node in its
   * configuration must not win its vote with a log that lacks them (the
   * quorum intersection Raft's election restriction rests on). None when absent.
   */
  readonly voteFloor?: { readonly index: LogIndex; readonly term: Term };
  /** TEST-ONLY deliberate bugs (see `RaftTestingKnobs`); off when absent. */
  readonly testingKnobs?: RaftTestingKnobs;
}

/** A `Config` with every optional field filled in. */
export type ResolvedConfig = Required<Config>;

const NO_LIMIT = Number.MAX_SAFE_INTEGER;

function bad(message: string): never {
  throw new TesseraError("INVALID_ARGUMENT", `raft config: ${message}`);
}

/** Checks `c` and fills in defaults; throws `INVALID_ARGUMENT` on a bad configuration. */
export function validateConfig(c: Config): ResolvedConfig {
  if (!Number.isSafeInteger(c.id) || c.id === 0) bad("id must be a non-zero node id");
  if (!Number.isSafeInteger(c.heartbeatTick) || c.heartbeatTick <= 0) {
    bad("heartbeatTick must be a positive integer");
  }
  if (!Number.isSafeInteger(c.electionTick) || c.electionTick <= c.heartbeatTick) {
    bad("electionTick must be an integer greater than heartbeatTick");
  }
  if (!Number.isSafeInteger(c.maxInflightMsgs) || c.maxInflightMsgs <= 0) {
    bad("maxInflightMsgs must be a positive integer");
  }
  const nonNegative = (v: number | undefined, name: string): number => {
    if (v === undefined) return 0;
    if (!Number.isSafeInteger(v) || v < 0) bad(`${name} must be a non-negative integer`);
    return v;
  };
  const maxSizePerMsg = nonNegative(c.maxSizePerMsg, "maxSizePerMsg") || NO_LIMIT;
  const maxInflightBytes = nonNegative(c.maxInflightBytes, "maxInflightBytes") || NO_LIMIT;
  if (maxInflightBytes < maxSizePerMsg) bad("maxInflightBytes must be at least maxSizePerMsg");
  const readOnlyOption = c.readOnlyOption ?? "safe";
  if (readOnlyOption !== "safe" && readOnlyOption !== "lease-based") {
    bad(`unknown readOnlyOption ${String(readOnlyOption)}`);
  }
  if (readOnlyOption === "lease-based" && !c.checkQuorum) {
    bad("checkQuorum must be enabled when readOnlyOption is lease-based");
  }
  const applied = c.applied ?? logIndex(0);
  nonNegative(applied, "applied");
  return {
    id: c.id,
    electionTick: c.electionTick,
    heartbeatTick: c.heartbeatTick,
    applied,
    maxSizePerMsg,
    maxCommittedSizePerReady:
      nonNegative(c.maxCommittedSizePerReady, "maxCommittedSizePerReady") || maxSizePerMsg,
    maxUncommittedEntriesSize:
      nonNegative(c.maxUncommittedEntriesSize, "maxUncommittedEntriesSize") || NO_LIMIT,
    maxPendingReadIndex: nonNegative(c.maxPendingReadIndex, "maxPendingReadIndex") || 10_000,
    maxInflightMsgs: c.maxInflightMsgs,
    maxInflightBytes,
    checkQuorum: c.checkQuorum ?? false,
    preVote: c.preVote ?? false,
    readOnlyOption,
    disableProposalForwarding: c.disableProposalForwarding ?? false,
    stepDownOnRemoval: c.stepDownOnRemoval ?? false,
    asyncStorageWrites: c.asyncStorageWrites ?? false,
    commitOnHeartbeat: c.commitOnHeartbeat ?? false,
    skipHeartbeatsWhileAppending: c.skipHeartbeatsWhileAppending ?? false,
    rng: c.rng,
    voteFloor: c.voteFloor ?? { index: logIndex(0), term: term(0) },
    testingKnobs: c.testingKnobs ?? {},
  };
}
