/**
 * A snapshot of a node's Raft state for observation (etcd-io/raft status.go):
 * hard and soft state, the applied index, and, on a leader, each follower's
 * progress. It is a copy; holding it does not pin the node's state.
 */
import type { LogIndex, NodeId } from "../lib/index.js";
import type { Raft } from "./raft.js";
import type { ProgressState } from "./tracker/progress.js";
import type { ConfState, HardState, SoftState } from "./types.js";

export interface ProgressStatus {
  readonly match: LogIndex;
  readonly next: LogIndex;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  readonly paused: boolean;
  readonly recentActive: boolean;
  readonly pendingSnapshot: LogIndex;
  readonly inflightMsgs: number;
  readonly inflightBytes: number;
}

export interface Status {
  readonly id: NodeId;
  readonly hardState: HardState;
  readonly softState: SoftState;
  readonly applied: LogIndex;
  readonly config: ConfState;
  readonly leadTransferee: NodeId;
  /** Followers' progress; empty unless this node is the leader. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus>;
}

export function getStatus(r: Raft): Status {
  const progress = new Map<NodeId, ProgressStatus>();
  if (r.state === "leader") {
    r.trk.visit((id, pr) => {
      progress.set(id, {
        match: pr.match,
        next: pr.next,
        state: pr.state,
        isLearner: pr.isLearner,
        paused: pr.isPaused(),
        recentActive: pr.recentActive,
        pendingSnapshot: pr.pendingSnapshot,
        inflightMsgs: pr.inflights.count,
        inflightBytes: pr.inflights.bytes,
      });
    });
  }
  return {
    id: r.id,
    hardState: r.hardState(),
    softState: r.softState(),
    applied: r.raftLog.applied,
    config: r.trk.confState(),
    leadTransferee: r.leadTransferee,
    progress,
  };
}
