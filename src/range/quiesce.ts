/**
 * Range quiescence: the rules by which an idle range stops ticking, so that a
 * node hosting thousands of idle ranges spends nothing on them (DESIGN.md §5;
 * after CockroachDB's replica_raft_quiesce.go).
 *
 * A leader quiesces its range once, for `QUIESCE_IDLE_TICKS` ticks in a row,
 * nothing at all was going on (`maybeQuiesceLeader`): it leads its term and has
 * applied an entry of it; nothing is proposed, read, reconfigured or
 * transferred; every member's log ends where the leader's does, all of it
 * committed and applied; every member answered recently. It then sends each
 * member one last heartbeat marked `quiesce` and stops ticking. A follower
 * that receives it stops ticking too if it agrees: same term and leader, and
 * its log ends at the leader's commit index (`maybeQuiesceFollower`).
 * A follower that does not agree keeps ticking; if it hears nothing more it
 * campaigns, and its (pre-)vote wakes everyone, so a lost or refused quiesce
 * heartbeat costs an election timeout, never availability.
 *
 * Anything wakes a quiesced replica (replica.ts): a proposal, a read, a
 * configuration change, a transfer, a snapshot, any Raft message but the
 * quiesce heartbeat itself (and a heartbeat response a quiesced leader can
 * absorb without work), and on a follower the silence of its leader's node
 * (quiesce-liveness.ts) or its leader's node becoming unreachable.
 *
 * Safety does not rest on any of this: quiescence only withholds ticks. The
 * one thing ticks protect that a sleeping leader could get wrong is its lease
 * (raft.ts `leaseHolds`: a quorum heard from within an election timeout,
 * counted in ticks). A leader's tick count stands still while it sleeps, so on
 * waking it forgets what it heard before (`forgetLeaseOnWake`): its lease
 * holds again only once a quorum has answered it after it woke, the same rule
 * as after a CheckQuorum round. Followers' counts stand still too, which keeps
 * them refusing votes longer than Raft requires (more conservative, never
 * less), until a message wakes them.
 */
import type { LogIndex, NodeId } from "../lib/index.js";
import { type ConfState, type MsgHeartbeat, NONE, type RawNode } from "../raft/index.js";

/** Ticks a leader must find its range idle in a row before it quiesces. */
export const QUIESCE_IDLE_TICKS = 3;

/** What a replica knows of itself that Raft does not: its waiters and apply state. */
export interface QuiesceInputs {
  /** Writes, reads, read points and conf changes waiting on this replica. */
  readonly waiters: number;
  readonly appliedIndex: LogIndex;
  readonly appliedTerm: number;
  readonly confState: ConfState;
}

/**
 * Whether this leader's range is idle enough to quiesce now (the conditions
 * of the file comment). Cheap for the common "not leader" and "busy" cases:
 * it stops at the first condition that fails.
 */
export function canLeaderQuiesce(node: RawNode, inputs: QuiesceInputs): boolean {
  const raft = node.raft;
  if (raft.state !== "leader" || inputs.waiters > 0) return false;
  if (raft.leadTransferee !== NONE || raft.readOnly.size > 0) return false;
  if (raft.pendingReadIndexMessages.length > 0 || raft.uncommittedSize > 0) return false;
  const log = raft.raftLog;
  const last = log.lastIndex();
  if (inputs.appliedTerm !== raft.term || inputs.appliedIndex !== last) return false;
  if (log.committed !== last || log.applied !== last) return false;
  if (raft.pendingConfIndex > log.applied) return false;
  // A joint configuration is left by a proposal of the leader: not idle yet.
  if (inputs.confState.votersOutgoing.length > 0) return false;
  if (node.hasReady()) return false;
  let caughtUp = true;
  for (const [id, pr] of raft.trk.progress) {
    if (id === raft.id) continue;
    if (pr.match !== last || pr.state !== "replicate" || !pr.recentActive) caughtUp = false;
  }
  return caughtUp;
}

/**
 * The quiesce heartbeats a leader sends as it quiesces: one per other member,
 * carrying the commit index (every member's log ends there).
 */
export function quiesceHeartbeats(node: RawNode): MsgHeartbeat[] {
  const raft = node.raft;
  const out: MsgHeartbeat[] = [];
  for (const id of [...raft.trk.progress.keys()].sort((a, b) => a - b)) {
    if (id === raft.id) continue;
    out.push({
      type: "MsgHeartbeat",
      from: raft.id,
      to: id,
      term: raft.term,
      commit: raft.raftLog.committed,
      quiesce: true,
    });
  }
  return out;
}

/**
 * Whether a follower that just stepped the quiesce heartbeat `m` may stop
 * ticking: it follows the sender in the sender's term, its log ends at the
 * sender's commit index and nothing waits on it.
 */
export function canFollowerQuiesce(node: RawNode, m: MsgHeartbeat, waiters: number): boolean {
  const raft = node.raft;
  if (raft.state !== "follower" || raft.lead !== m.from || raft.term !== m.term) return false;
  if (waiters > 0) return false;
  const log = raft.raftLog;
  return log.committed === m.commit && log.lastIndex() === m.commit;
}

/**
 * A leader waking from quiescence forgets which members it heard from and
 * restarts its election-timeout count, so its lease (raft.ts `leaseHolds`)
 * holds only once a quorum answered it after it woke; and if no quorum does
 * within an election timeout, CheckQuorum steps it down as usual. Ticks did
 * not count the time it slept, so nothing it heard before may vouch for now.
 */
export function forgetLeaseOnWake(node: RawNode): void {
  const raft = node.raft;
  if (raft.state !== "leader") return;
  raft.electionElapsed = 0;
  for (const [id, pr] of raft.trk.progress) {
    if (id === raft.id) continue;
    pr.recentActive = false;
    pr.heardAtTick = Number.NEGATIVE_INFINITY;
  }
}

/**
 * A follower woken because its leader's node has been silent for an election
 * timeout (`electionTick` of this node's ticks; quiesce-liveness.ts) counts
 * that timeout as passed: its own count stood still while it slept, and
 * would otherwise make it wait (and refuse votes, raft.ts `stepTerm`) for one
 * more timeout before an election. The count stays a lower bound of the
 * ticks since it last heard from its leader (a message of the leader is
 * traffic of its node), so the leader's lease argument is unchanged.
 */
export function leaderPresumedDown(node: RawNode): void {
  const raft = node.raft;
  if (raft.state === "leader") return;
  raft.electionElapsed = Math.max(raft.electionElapsed, raft.config.electionTick);
}

/** The other members of a range (voters of either configuration and learners). */
export function otherMembers(conf: ConfState, self: NodeId): NodeId[] {
  const ids = new Set<NodeId>([...conf.voters, ...conf.votersOutgoing, ...conf.learners]);
  ids.delete(self);
  return [...ids].sort((a, b) => a - b);
}
