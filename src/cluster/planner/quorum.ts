/**
 * Live quorums of a range's voters. A configuration change commits under
 * joint consensus (Raft §6; etcd's confchange), which needs a majority of
 * the old voters and a majority of the new ones, so a change is safe to plan
 * only when both sets have a majority of live voters. An empty set has no
 * quorum: no change may leave a range without voters.
 */
import type { NodeId } from "../../lib/index.js";

export function quorumSize(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/** Whether a majority of `voters` is live (false for no voters at all). */
export function hasLiveQuorum(voters: readonly NodeId[], isLive: (id: NodeId) => boolean): boolean {
  if (voters.length === 0) return false;
  return voters.filter(isLive).length >= quorumSize(voters.length);
}

/** Whether a change from `before` to `after` can commit with the live nodes: both need a live quorum. */
export function keepsLiveQuorum(
  before: readonly NodeId[],
  after: readonly NodeId[],
  isLive: (id: NodeId) => boolean,
): boolean {
  return hasLiveQuorum(before, isLive) && hasLiveQuorum(after, isLive);
}
