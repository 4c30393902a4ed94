/**
 * Per-request read modes (thesis §6.4, §6.4.1): a node runs with safe
 * ReadIndex, and a single request may ask for a lease read, answered by the
 * leader at once when CheckQuorum makes its lease sound, safely otherwise.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytes, Network, text } from "./testing/network.js";

const reads = (nt: Network, id: number) =>
  nt.node(id).readStates.map((rs) => [text(rs.requestCtx), rs.index] as const);

describe("per-request read mode", () => {
  it("answers a lease read on a leader cut off from its followers without a round", () => {
    const nt = new Network({ ids: [1, 2, 3], seed: 1, config: { checkQuorum: true } });
    nt.campaign(1);
    nt.isolate(1);
    nt.raw(1).readIndex(bytes("lease"), { mode: "lease" });
    nt.raw(1).readIndex(bytes("safe"), { mode: "safe" });
    nt.stabilize();
    // The lease read needs no heartbeat round; the safe one waits for it.
    assert.deepEqual(reads(nt, 1), [["lease", 1]]);
  });

  it("serves a lease request safely when CheckQuorum is off", () => {
    const nt = new Network({ ids: [1, 2, 3], seed: 1, config: { checkQuorum: false } });
    nt.campaign(1);
    nt.isolate(1);
    nt.raw(1).readIndex(bytes("lease"), { mode: "lease" });
    nt.stabilize();
    assert.deepEqual(reads(nt, 1), []);
  });

  it("serves a follower's lease request through the leader's heartbeat round", () => {
    const nt = new Network({ ids: [1, 2, 3], seed: 1, config: { checkQuorum: true } });
    nt.campaign(1);
    nt.raw(2).readIndex(bytes("f"), { mode: "lease" });
    nt.stabilize();
    assert.deepEqual(reads(nt, 2), [["f", 1]]);
  });
});

describe("per-request lease expiry", () => {
  it("falls back to a heartbeat round once the lease runs short", () => {
    const nt = new Network({ ids: [1, 2, 3], seed: 1, config: { checkQuorum: true } });
    nt.campaign(1);
    nt.isolate(1);
    // 8 of 10 ticks of the election timeout passed without a quorum check.
    const raft = nt.node(1).node.raft;
    nt.tick(10 - 2 - raft.electionElapsed, [1]);
    assert.equal(raft.state, "leader");
    nt.raw(1).readIndex(bytes("late"), { mode: "lease" });
    nt.stabilize();
    assert.deepEqual(reads(nt, 1), []);
  });

  it("holds at every tick while a quorum answers, across quorum checks", () => {
    const nt = new Network({ ids: [1, 2, 3], seed: 1, config: { checkQuorum: true } });
    nt.campaign(1);
    const leader = nt.node(1).node.raft;
    // Three election timeouts, each tick's heartbeats answered: the lease never
    // lapses, not in the last ticks of a quorum check's round, nor after the check.
    for (let t = 0; t < 30; t++) {
      nt.tick(1, [1]);
      nt.stabilize();
      assert.equal(leader.state, "leader");
      assert.notEqual(leader.leaseReadIndex(), undefined, `lease lapsed at tick ${t}`);
    }
    // Only node 2 answers from now on: node 1 and node 2 are a quorum, and the lease holds.
    nt.isolate(3);
    for (let t = 0; t < 20; t++) {
      nt.tick(1, [1]);
      nt.stabilize();
      assert.notEqual(leader.leaseReadIndex(), undefined, `lease lapsed with a quorum, tick ${t}`);
    }
    // No one answers: the lease lapses 8 ticks (an election timeout less the margin)
    // after the last answer, before CheckQuorum would step the leader down.
    nt.isolate(1);
    let lapsedAfter = 0;
    while (leader.leaseReadIndex() !== undefined) {
      nt.tick(1, [1]);
      lapsedAfter++;
    }
    assert.equal(lapsedAfter, 8, "ticks the lease held after the last answer");
  });
});

describe("leaseReadIndex", () => {
  it("gives at once the index a lease read's Ready would, and nothing where it would not answer at once", () => {
    const nt = new Network({ ids: [1, 2, 3], seed: 1, config: { checkQuorum: true } });
    nt.campaign(1);
    const leader = nt.node(1).node.raft;
    assert.equal(nt.node(2).node.raft.leaseReadIndex(), undefined, "a follower");
    const now = leader.leaseReadIndex();
    nt.raw(1).readIndex(bytes("r"), { mode: "lease" });
    nt.stabilize();
    assert.deepEqual(reads(nt, 1), [["r", now]]);
    // The lease runs short without a quorum heard from: no index, as no read state.
    nt.isolate(1);
    nt.tick(10 - 2 - leader.electionElapsed, [1]);
    assert.equal(leader.state, "leader");
    assert.equal(leader.leaseReadIndex(), undefined);
  });

  it("gives nothing before a new leader committed an entry of its term", () => {
    const nt = new Network({ ids: [1, 2, 3], seed: 1, config: { checkQuorum: true } });
    nt.campaign(1);
    // Leadership moves to node 2, whose first entry cannot reach the others.
    nt.ignore("MsgApp");
    nt.raw(1).transferLeader(2 as never);
    nt.stabilize();
    const raft = nt.node(2).node.raft;
    assert.equal(raft.state, "leader");
    assert.equal(raft.leaseReadIndex(), undefined);
  });

  it("answers a single voter at once", () => {
    const nt = new Network({ ids: [1], seed: 1, config: { checkQuorum: true } });
    nt.campaign(1);
    assert.equal(nt.node(1).node.raft.leaseReadIndex(), nt.node(1).node.raft.raftLog.committed);
  });
});
