/**
 * Rebuilds a tracker configuration from a persisted `ConfState` by replaying
 * it as a series of changes through the `Changer`, so that restoring goes
 * through the same validation as changing (etcd-io/raft confchange/restore.go).
 *
 * For a joint state, the outgoing voters are added one by one first, then the
 * joint configuration is entered with the incoming voters and the learners.
 */
import { logIndex } from "../../lib/index.js";
import type { ProgressTracker } from "../tracker/progress-tracker.js";
import type { ConfChangeSingle, ConfState } from "../types.js";
import { type ChangeResult, Changer } from "./changer.js";

function toConfChangeSingles(cs: ConfState): {
  outgoing: ConfChangeSingle[];
  incoming: ConfChangeSingle[];
} {
  const outgoing: ConfChangeSingle[] = cs.votersOutgoing.map((nodeId) => ({
    type: "add-node",
    nodeId,
  }));
  const incoming: ConfChangeSingle[] = [
    ...cs.votersOutgoing.map((nodeId): ConfChangeSingle => ({ type: "remove-node", nodeId })),
    ...cs.voters.map((nodeId): ConfChangeSingle => ({ type: "add-node", nodeId })),
    ...cs.learners.map((nodeId): ConfChangeSingle => ({ type: "add-learner", nodeId })),
    ...cs.learnersNext.map((nodeId): ConfChangeSingle => ({ type: "add-learner", nodeId })),
  ];
  return { outgoing, incoming };
}

/** Applies `cs` to the (empty) `tracker`, installing the result; returns it. */
export function restoreConfState(
  tracker: ProgressTracker,
  lastIndex: number,
  cs: ConfState,
): ChangeResult {
  const { outgoing, incoming } = toConfChangeSingles(cs);
  const step = (f: (c: Changer) => ChangeResult): ChangeResult => {
    const r = f(new Changer(tracker, logIndex(lastIndex)));
    tracker.config = r.config;
    tracker.progress = r.progress;
    return r;
  };
  let result: ChangeResult = { config: tracker.config, progress: tracker.progress };
  if (outgoing.length === 0) {
    for (const cc of incoming) result = step((c) => c.simple([cc]));
  } else {
    for (const cc of outgoing) result = step((c) => c.simple([cc]));
    result = step((c) => c.enterJoint(cs.autoLeave, incoming));
  }
  return result;
}
