/**
 * Log compaction and snapshots (paper §7): a leader sends a snapshot when a
 * follower needs compacted entries, the follower installs it, failures are
 * retried, and nodes restart from hard state and from snapshots.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { logIndex, nodeId, term } from "../lib/index.js";
import { MemoryStorage } from "./memory-storage.js";
import { Network } from "./testing/network.js";
import { entry, msgApp, newTestRaft, newTestStorage } from "./testing/raft-harness.js";
import { EMPTY_CONF_STATE } from "./types.js";

const raft = (nt: Network, id: number) => nt.node(id).node.raft;

function laggingFollower(): Network {
  const nt = new Network({ ids: [1, 2, 3], seed: 4 });
  nt.campaign(1);
  nt.propose(1, "a");
  nt.isolate(3);
  for (const v of ["b", "c", "d"]) nt.propose(1, v);
  nt.node(1).compact();
  assert.equal(nt.node(1).storage.firstIndex(), 6);
  return nt;
}

describe("snapshots (§7)", () => {
  it("sends a snapshot to a slow follower after compaction, which installs it and catches up", () => {
    const nt = laggingFollower();
    nt.recordDelivered = true;
    nt.recover();
    nt.propose(1, "e");
    assert.ok(nt.delivered.some((m) => m.type === "MsgSnap" && m.to === 3));
    assert.deepEqual(nt.node(3).state, ["a", "b", "c", "d", "e"]);
    assert.equal(nt.node(3).storage.snapshot().metadata.index, 5);
    assert.equal(raft(nt, 1).trk.progress.get(nodeId(3))!.state, "replicate");
    nt.checkSafety();
  });

  it("brings up a follower that lost the log it acknowledged, with a snapshot", () => {
    // Tessera reuses node ids: a replica destroyed on its removal comes back
    // empty when its node is added again, and the earlier replica's
    // acknowledgements may have set the leader's match meanwhile.
    const nt = new Network({ ids: [1, 2, 3], seed: 4 });
    nt.campaign(1);
    for (const v of ["a", "b", "c"]) nt.propose(1, v);
    nt.node(1).compact();
    const pr = raft(nt, 1).trk.progress.get(nodeId(3))!;
    assert.equal(pr.match, raft(nt, 1).raftLog.lastIndex());
    nt.replaceNode(3, new MemoryStorage());
    nt.recordDelivered = true;
    nt.propose(1, "d");
    assert.ok(nt.delivered.some((m) => m.type === "MsgSnap" && m.to === 3));
    assert.deepEqual(nt.node(3).state, ["a", "b", "c", "d"]);
    assert.equal(pr.state, "replicate");
  });

  it("retries a failed snapshot after a heartbeat interval", () => {
    const nt = laggingFollower();
    nt.recover();
    nt.ignore("MsgSnap");
    nt.propose(1, "e");
    const pr = raft(nt, 1).trk.progress.get(nodeId(3))!;
    // The failure was reported: back to probing, paused until the next heartbeat.
    assert.equal(pr.state, "probe");
    assert.equal(pr.pendingSnapshot, 0);
    assert.deepEqual(nt.node(3).state, ["a"]);
    nt.recover();
    nt.tick(1, [1]);
    assert.deepEqual(nt.node(3).state, ["a", "b", "c", "d", "e"]);
  });

  it("waits in snapshot state until the snapshot's outcome is reported", () => {
    const nt = laggingFollower();
    nt.autoReportSnapshot = false;
    nt.recover();
    nt.propose(1, "e");
    const pr = raft(nt, 1).trk.progress.get(nodeId(3))!;
    // The follower answered the snapshot, which moved it to probe and then replicate.
    assert.equal(pr.state, "replicate");
    assert.deepEqual(nt.node(3).state, ["a", "b", "c", "d", "e"]);
    // A late report for a progress no longer in snapshot state is ignored.
    nt.raw(1).reportSnapshot(nodeId(3), "finish");
    assert.equal(pr.state, "replicate");
  });

  it("a follower ignores a snapshot older than its commit index", () => {
    const nt = new Network(3);
    nt.campaign(1);
    for (const v of ["a", "b"]) nt.propose(1, v);
    nt.node(1).compact();
    const snap = nt.node(1).storage.snapshot();
    const r2 = raft(nt, 2);
    const before = r2.raftLog.committed;
    assert.equal(r2.restore(snap), false);
    assert.equal(r2.raftLog.committed, before);
  });

  it("a follower that already has the snapshot's last entry fast-forwards its commit index", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.ignore("MsgHeartbeat");
    nt.propose(1, "a");
    nt.node(1).compact();
    const snap = nt.node(1).storage.snapshot();
    const r3 = raft(nt, 3);
    r3.raftLog.committed = logIndex(1);
    assert.equal(r3.restore(snap), false);
    assert.equal(r3.raftLog.committed, snap.metadata.index);
  });

  it("a node refuses a snapshot whose configuration does not include it", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.propose(1, "a");
    nt.node(1).compact();
    const s = nt.node(1).storage.snapshot();
    const foreign = {
      ...s,
      metadata: {
        ...s.metadata,
        index: logIndex(9),
        confState: { ...s.metadata.confState, voters: [nodeId(1)] },
      },
    };
    assert.equal(raft(nt, 2).restore(foreign), false);
  });
});

describe("snapshots while applying", () => {
  it("defers a snapshot while committed entries are still being applied", () => {
    const r = newTestRaft(2);
    r.becomeFollower(term(1), nodeId(1));
    r.step(msgApp({ from: 1, to: 2, term: 1, entries: [entry(1, 1), entry(1, 2)], commit: 2 }));
    // The application holds entries 1..2 (it may call applyConfChange for them).
    r.raftLog.acceptApplying(logIndex(2));
    const snap = {
      data: new Uint8Array(),
      metadata: {
        index: logIndex(5),
        term: term(1),
        confState: { ...EMPTY_CONF_STATE, voters: [1, 2, 3].map(nodeId) },
      },
    };
    assert.equal(r.restore(snap), false);
    r.raftLog.appliedTo(logIndex(2));
    assert.equal(r.restore(snap), true);
    assert.equal(r.raftLog.committed, 5);
  });
});

describe("snapshots with joint configurations (§6, §7)", () => {
  it("a node that is only an outgoing voter of a joint snapshot installs it and restores the joint config", () => {
    const r = newTestRaft(3, newTestStorage({ peers: [1, 2, 3] }));
    r.becomeFollower(term(1), nodeId(1));
    const cs = {
      voters: [1, 2, 4].map(nodeId),
      votersOutgoing: [1, 2, 3].map(nodeId),
      learners: [],
      learnersNext: [],
      autoLeave: true,
    };
    const snap = {
      data: new Uint8Array(),
      metadata: { index: logIndex(7), term: term(1), confState: cs },
    };
    assert.equal(r.restore(snap), true);
    assert.deepEqual(r.trk.confState(), cs);
    assert.equal(r.promotable(), false); // until the snapshot is persisted
  });
});

describe("restarts", () => {
  it("restarts from hard state and log: term, vote and commit survive", () => {
    const nt = new Network({ ids: [1, 2, 3], seed: 9 });
    nt.campaign(1);
    for (const v of ["a", "b"]) nt.propose(1, v);
    const before = [1, 2, 3].map((id) => raft(nt, id).hardState());
    for (const id of [1, 2, 3]) nt.node(id).restart();
    assert.deepEqual(
      [1, 2, 3].map((id) => raft(nt, id).hardState()),
      before,
    );
    for (const id of [1, 2, 3]) assert.equal(raft(nt, id).state, "follower");
    const l = nt.tickUntilLeader();
    nt.propose(l, "c");
    for (const id of [1, 2, 3]) assert.deepEqual(nt.node(id).state, ["a", "b", "c"]);
    nt.checkSafety();
  });

  it("restarts from a snapshot: applied starts at the snapshot, the log after it", () => {
    const nt = new Network({ ids: [1, 2, 3], seed: 10 });
    nt.campaign(1);
    for (const v of ["a", "b"]) nt.propose(1, v);
    nt.node(2).compact();
    nt.propose(1, "c");
    nt.node(2).restart();
    const r2 = raft(nt, 2);
    assert.equal(r2.raftLog.firstIndex(), 4);
    assert.equal(r2.raftLog.applied, 3);
    assert.deepEqual(nt.node(2).state, ["a", "b"]);
    nt.stabilize();
    nt.tick(2);
    assert.deepEqual(nt.node(2).state, ["a", "b", "c"]);
    nt.checkSafety();
  });

  it("a node restarted with a config that lists it as learner does not campaign", () => {
    const nt = new Network({ ids: [1, 2, 3], voters: [1, 2], learners: [3] });
    nt.node(3).restart();
    nt.tick(50, [3]);
    assert.equal(raft(nt, 3).state, "follower");
    assert.equal(raft(nt, 3).isLearner, true);
  });
});
