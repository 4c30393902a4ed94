/**
 * Async storage writes (etcd-io/raft AsyncStorageWrites): persistence and
 * apply are requested with MsgStorageAppend / MsgStorageApply and
 * acknowledged by stepping their responses. Acknowledgements that promise
 * durability (votes, append acks) travel only inside the append request, so
 * they leave the node after the write, never before.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AssertionError, nodeId } from "../lib/index.js";
import { runChaos } from "./testing/chaos.js";
import { bytes, Network } from "./testing/network.js";

const async = { asyncStorageWrites: true };

describe("async storage writes", () => {
  it("elects, replicates and applies through local storage messages", () => {
    const nt = new Network({ ids: [1, 2, 3], config: async });
    nt.campaign(1);
    assert.equal(nt.leader(), 1);
    nt.propose(1, "a");
    nt.propose(2, "b");
    for (const id of [1, 2, 3]) assert.deepEqual(nt.node(id).state, ["a", "b"]);
    nt.checkSafety();
  });

  it("puts persistence requests and their responses in the Ready", () => {
    const nt = new Network({ ids: [1, 2, 3], config: async });
    nt.campaign(1);
    nt.raw(1).propose(bytes("x"));
    const rd = nt.raw(1).ready();
    const append = rd.messages.find((m) => m.type === "MsgStorageAppend");
    assert.ok(append && append.type === "MsgStorageAppend");
    assert.equal(append.entries.length, 1);
    // The leader's self-ack and the storage ack wait inside the append request.
    assert.deepEqual(
      append.responses.map((m) => m.type),
      ["MsgAppResp", "MsgStorageAppendResp"],
    );
    assert.throws(() => nt.raw(1).advance(rd), AssertionError);
  });

  it("commits nothing until a quorum has persisted, then catches up", () => {
    const nt = new Network({ ids: [1, 2, 3], config: async });
    nt.campaign(1);
    for (const id of [1, 2, 3]) nt.node(id).deferStorage = true;
    nt.propose(1, "a");
    assert.deepEqual(nt.node(1).state, []);
    const committed = nt.node(1).node.raft.raftLog.committed;
    // Only the leader persists: no quorum yet.
    for (const m of nt.node(1).flushStorage()) nt.deliver(m);
    nt.stabilize();
    assert.equal(nt.node(1).node.raft.raftLog.committed, committed);
    for (const m of nt.node(2).flushStorage()) nt.deliver(m);
    nt.stabilize();
    for (const m of nt.node(1).flushStorage()) nt.deliver(m);
    nt.stabilize();
    for (const m of nt.node(1).flushStorage()) nt.deliver(m);
    assert.deepEqual(nt.node(1).state, ["a"]);
  });

  it("loses unpersisted writes on a crash without breaking safety", () => {
    const nt = new Network({ ids: [1, 2, 3], config: async });
    nt.campaign(1);
    nt.node(3).deferStorage = true;
    nt.isolate(2);
    nt.propose(1, "a");
    nt.node(3).restart();
    nt.node(3).deferStorage = false;
    nt.recover();
    nt.tick(5);
    nt.checkSafety();
    for (const id of [1, 2, 3]) assert.deepEqual(nt.node(id).state, ["a"]);
  });

  it("refuses a local message stepped from the network", () => {
    const nt = new Network({ ids: [1, 2, 3], config: async });
    assert.throws(
      () => nt.raw(1).step({ type: "MsgHup", from: nodeId(2), to: nodeId(1), term: 0 as never }),
      {
        code: "INVALID_ARGUMENT",
      },
    );
  });

  for (const seed of [31, 32, 33, 34]) {
    it(`seed ${seed}: chaos with async writes and restarts stays safe`, () => {
      runChaos({
        seed,
        steps: 1000,
        config: { asyncStorageWrites: true, preVote: true },
        restartPerMille: 10,
      });
    });
  }
});
