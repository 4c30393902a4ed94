/**
 * Linearizable reads (thesis §6.4): ReadIndex confirmed by a heartbeat round,
 * held back for a new leader until it commits an entry of its term, answered
 * for followers through the leader, and lease-based reads (§6.4.1).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { logIndex } from "../lib/index.js";
import { bytes, Network, text } from "./testing/network.js";

const reads = (nt: Network, id: number) =>
  nt.node(id).readStates.map((rs) => [text(rs.requestCtx), rs.index] as const);

describe("ReadIndex (thesis §6.4)", () => {
  it("serves reads on the leader and on followers across leader changes", () => {
    const nt = new Network({ ids: [1, 2, 3], seed: 2 });
    nt.campaign(1);
    nt.propose(1, "a");
    for (const [leader, reader] of [
      [1, 1],
      [1, 2],
      [2, 2],
      [2, 3],
      [3, 1],
    ] as const) {
      if (nt.leader() !== leader) nt.campaign(leader);
      assert.equal(nt.leader(), leader);
      const ctx = `ctx-${leader}-${reader}`;
      nt.raw(reader).readIndex(bytes(ctx));
      nt.stabilize();
      const got = reads(nt, reader).find(([c]) => c === ctx);
      assert.ok(got, `read ${ctx} answered`);
      assert.equal(got[1], nt.node(leader).node.raft.raftLog.committed);
    }
  });

  it("confirms leadership with a heartbeat round before answering (safe)", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.isolate(1);
    nt.raw(1).readIndex(bytes("r"));
    nt.stabilize();
    assert.deepEqual(reads(nt, 1), []);
    nt.recover();
    // The next heartbeat carries the newest pending context and confirms it.
    nt.tick(1, [1]);
    assert.deepEqual(reads(nt, 1), [["r", 1]]);
  });

  it("answers every earlier read once a later one is confirmed", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.isolate(1);
    nt.raw(1).readIndex(bytes("r1"));
    nt.raw(1).readIndex(bytes("r2"));
    nt.raw(1).readIndex(bytes("r2")); // a duplicate context is one request
    nt.stabilize();
    nt.recover();
    nt.tick(1, [1]);
    assert.deepEqual(reads(nt, 1), [
      ["r1", 1],
      ["r2", 1],
    ]);
  });

  it("a new leader holds reads until it commits an entry of its own term", () => {
    const nt = new Network(3);
    nt.ignore("MsgApp");
    nt.campaign(1);
    assert.equal(nt.leader(), 1);
    assert.equal(nt.node(1).node.raft.raftLog.committed, 0);
    nt.raw(1).readIndex(bytes("early"));
    nt.stabilize();
    assert.deepEqual(reads(nt, 1), []);
    assert.equal(nt.node(1).node.raft.pendingReadIndexMessages.length, 1);
    nt.recover();
    nt.tick(1, [1]);
    nt.tick(1, [1]);
    assert.deepEqual(reads(nt, 1), [["early", 1]]);
  });

  it("refuses reads beyond maxPendingReadIndex with LIMIT_EXCEEDED", () => {
    const nt = new Network({ ids: [1, 2, 3], config: { maxPendingReadIndex: 2 } });
    nt.campaign(1);
    nt.isolate(1);
    nt.raw(1).readIndex(bytes("a"));
    nt.raw(1).readIndex(bytes("b"));
    assert.throws(() => nt.raw(1).readIndex(bytes("c")), { code: "LIMIT_EXCEEDED" });
    // A forwarded read beyond the bound is dropped; its requester times out.
    nt.recover();
    nt.cut(1, 3);
    nt.raw(2).readIndex(bytes("d"));
    nt.stabilize();
    assert.deepEqual(reads(nt, 2), []);
  });

  it("a follower without a leader drops the read; a single voter answers at once", () => {
    const nt = new Network(1);
    nt.raw(1).readIndex(bytes("none"));
    nt.stabilize();
    assert.deepEqual(reads(nt, 1), []);
    nt.campaign(1);
    nt.raw(1).readIndex(bytes("solo"));
    nt.stabilize();
    assert.deepEqual(reads(nt, 1), [["solo", 1]]);
  });

  it("a single voter whose commit index lags its log answers a read only once an entry of its term committed", () => {
    const nt = new Network(1);
    nt.campaign(1);
    nt.propose(1, "a");
    nt.propose(1, "b");
    const n = nt.node(1);
    // Tessera's store persists the commit index only with a new term or vote
    // (loading lifts it to the applied index), so a crash between answering
    // writes and persisting their apply restarts the node with its commit
    // index behind entries it answered: here, behind "a" and "b".
    const { hardState } = n.storage.initialState();
    assert.equal(hardState.commit, 3);
    n.storage.setHardState({ ...hardState, commit: logIndex(1) });
    n.restart();
    nt.raw(1).campaign();
    while (nt.raw(1).raft.state !== "leader") n.handleReady(nt.raw(1).ready());
    // Its term's first entry is not durable yet, so its commit index still lags.
    assert.equal(nt.raw(1).raft.raftLog.committed, 1);
    assert.equal(nt.raw(1).raft.leaseReadIndex(), undefined);
    nt.raw(1).readIndex(bytes("r"));
    nt.stabilize();
    // Answered at the new term's entry, which commits "a" and "b" too (not at 1).
    assert.deepEqual(reads(nt, 1), [["r", 4]]);
    assert.equal(nt.raw(1).raft.leaseReadIndex(), 4);
  });
});

describe("lease-based reads (thesis §6.4.1)", () => {
  it("the leader answers from its lease without a heartbeat round", () => {
    const nt = new Network({
      ids: [1, 2, 3],
      config: { checkQuorum: true, readOnlyOption: "lease-based" },
    });
    nt.campaign(1);
    nt.isolate(1);
    nt.raw(1).readIndex(bytes("lease"));
    nt.stabilize();
    assert.deepEqual(reads(nt, 1), [["lease", 1]]);
    nt.recover();
    nt.raw(3).readIndex(bytes("via-follower"));
    nt.stabilize();
    assert.deepEqual(reads(nt, 3), [["via-follower", 1]]);
  });

  it("a follower does not forget its leader when reads rely on the lease", () => {
    const nt = new Network({
      ids: [1, 2, 3],
      config: { checkQuorum: true, readOnlyOption: "lease-based" },
    });
    nt.campaign(1);
    nt.raw(2).forgetLeader();
    assert.equal(nt.node(2).node.raft.lead, 1);
    const safe = new Network(3);
    safe.campaign(1);
    safe.raw(2).forgetLeader();
    assert.equal(safe.node(2).node.raft.lead, 0);
  });
});
