/**
 * Changing a range's replicas, on its leader (DESIGN.md §6: "moves use
 * learner → voter promotion and joint consensus"). The procedure is driven by
 * the current configuration, so running it again after a failure (or on a new
 * leader) picks up where it stopped:
 *
 * 1. every node to add (as voter or learner) that is not a member yet joins
 *    as a learner, one conf change at a time (it gets a snapshot);
 * 2. each learner to promote is waited on until its match reaches the
 *    leader's commit index as of the start of the wait (caught up), bounded
 *    by `catchUpTimeoutMs`;
 * 3. a leader asked to remove itself first hands its leadership to a voter
 *    that stays, and fails NOT_LEADER naming it, so the caller (the
 *    forwarder) runs the procedure again there: a leader that committed its
 *    own removal would step down and drop its replica before the others
 *    learned the entry was committed, and with two voters left by one the
 *    survivor would wait forever for the vote of the old configuration;
 * 4. promotions and removals are proposed together: one voter change is
 *    applied directly, more go through joint consensus, which Raft leaves
 *    automatically; the procedure resolves once the final (not joint)
 *    configuration is applied here.
 */
import { type Clock, type NodeId, TesseraError, type Timers } from "../lib/index.js";
import type { ConfChangeSingle, ConfState } from "../raft/index.js";
import type { ReplicaChange } from "./host-types.js";
import type { Replica } from "./replica.js";
import { sleep } from "./system-timers.js";

/** Pause between two looks at progress or configuration. */
const MEMBERSHIP_POLL_MS = 10;
/** How often a leader removing itself asks again to hand its leadership over. */
const TRANSFER_AGAIN_MS = 1000;

export interface MembershipDeps {
  readonly timers: Timers;
  readonly clock: Clock;
  /** Longest wait for a learner to catch up, or for a change to apply. */
  readonly catchUpTimeoutMs: number;
}

export async function changeReplicasOnLeader(
  r: Replica,
  changes: readonly ReplicaChange[],
  d: MembershipDeps,
): Promise<void> {
  const deadline = d.clock.monotonicMs() + d.catchUpTimeoutMs;
  const isMember = (c: ConfState, n: NodeId) =>
    c.voters.includes(n) || c.learners.includes(n) || c.votersOutgoing.includes(n);
  await waitNotJoint(r, d, deadline);
  for (const ch of changes) {
    if (ch.type === "remove" || isMember(r.confState(), ch.nodeId)) continue;
    await propose(r, [{ type: "add-learner", nodeId: ch.nodeId }], d, deadline);
  }
  const promote = changes.filter(
    (ch) => ch.type === "add-voter" && !r.confState().voters.includes(ch.nodeId),
  );
  for (const ch of promote) {
    // Caught up: holds what was committed when the wait began. Under steady
    // writes the commit index moves on while the learner follows a batch
    // behind, so "match ≥ commit right now" might never hold; a voter a batch
    // behind is ordinary Raft.
    const target = r.commitIndex;
    while (!caughtUp(r, ch.nodeId, target)) {
      checkStillLeader(r);
      if (d.clock.monotonicMs() >= deadline)
        throw new TesseraError("TIMEOUT", `node ${ch.nodeId} did not catch up in time`);
      await sleep(d.timers, MEMBERSHIP_POLL_MS);
    }
  }
  if (changes.some((ch) => ch.type === "remove" && ch.nodeId === r.nodeId)) {
    await handOver(r, changes, d, deadline);
  }
  const singles: ConfChangeSingle[] = [
    ...promote.map((ch) => ({ type: "add-node" as const, nodeId: ch.nodeId })),
    ...changes
      .filter((ch) => ch.type === "remove" && isMember(r.confState(), ch.nodeId))
      .map((ch) => ({ type: "remove-node" as const, nodeId: ch.nodeId })),
  ];
  if (singles.length > 0) await propose(r, singles, d, deadline);
  await waitNotJoint(r, d, deadline);
}

/**
 * Moves the leadership to a caught-up voter that the changes keep, then fails
 * NOT_LEADER with it as the hint. Throws if none can lead.
 */
async function handOver(
  r: Replica,
  changes: readonly ReplicaChange[],
  d: MembershipDeps,
  deadline: number,
): Promise<never> {
  const removed = new Set(changes.filter((ch) => ch.type === "remove").map((ch) => ch.nodeId));
  const stays = r
    .confState()
    .voters.filter((n) => n !== r.nodeId && !removed.has(n))
    .sort((a, b) => (r.progress().get(b)?.match ?? 0) - (r.progress().get(a)?.match ?? 0));
  const to = stays[0];
  if (to === undefined) {
    throw new TesseraError(
      "INVALID_ARGUMENT",
      `range ${r.rangeId}: removing node ${r.nodeId} would leave no voter to lead`,
    );
  }
  // Raft abandons a transfer the target does not complete within an election
  // timeout: ask again now and then until the leadership has moved, and wait
  // until this replica knows the new leader, so the caller goes straight there.
  let askedAt = Number.NEGATIVE_INFINITY;
  while (r.raftState === "leader" || r.leaderId === 0 || r.leaderId === r.nodeId) {
    const now = d.clock.monotonicMs();
    if (now >= deadline)
      throw new TesseraError("TIMEOUT", `range ${r.rangeId}: leadership did not move to ${to}`);
    if (r.raftState === "leader" && now - askedAt >= TRANSFER_AGAIN_MS) {
      r.transferLeader(to);
      askedAt = now;
    }
    await sleep(d.timers, MEMBERSHIP_POLL_MS);
  }
  throw new TesseraError(
    "NOT_LEADER",
    `range ${r.rangeId} handed its leadership over before removing node ${r.nodeId}`,
    { leader: r.leaderId },
  );
}

function caughtUp(r: Replica, n: NodeId, target: number): boolean {
  const pr = r.progress().get(n);
  return pr !== undefined && pr.match >= target;
}

function checkStillLeader(r: Replica): void {
  if (r.raftState !== "leader")
    throw new TesseraError("NOT_LEADER", `range ${r.rangeId} lost its leadership`, {
      leader: r.leaderId,
    });
}

/** Proposes one conf change, retrying while another one is still in progress. */
async function propose(
  r: Replica,
  changes: ConfChangeSingle[],
  d: MembershipDeps,
  deadline: number,
): Promise<void> {
  for (;;) {
    checkStillLeader(r);
    try {
      await r.proposeConfChange({ transition: "auto", changes });
      return;
    } catch (e) {
      if (!(e instanceof TesseraError) || e.code !== "PROPOSAL_DROPPED") throw e;
      if (d.clock.monotonicMs() >= deadline) throw e;
      await sleep(d.timers, MEMBERSHIP_POLL_MS);
    }
  }
}

async function waitNotJoint(r: Replica, d: MembershipDeps, deadline: number): Promise<void> {
  while (r.confState().votersOutgoing.length > 0) {
    checkStillLeader(r);
    if (d.clock.monotonicMs() >= deadline)
      throw new TesseraError("TIMEOUT", `range ${r.rangeId} stayed in a joint configuration`);
    await sleep(d.timers, MEMBERSHIP_POLL_MS);
  }
}
