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
});
