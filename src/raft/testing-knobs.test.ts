/**
 * The TEST-ONLY deliberate bugs of `Config.testingKnobs`: each knob must
 * really break the rule it names, or the cluster simulator's claim to catch it
 * proves nothing. Off by default, the rules hold (the paper tests cover them).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { logIndex, nodeId, term } from "../lib/index.js";
import { bytes, Network, text } from "./testing/network.js";
import {
  entriesWithTerms,
  newTestRaft,
  newTestStorage,
  propose,
  readMessages,
} from "./testing/raft-harness.js";

describe("testingKnobs.leaseIgnoresExpiry (breaks thesis §6.4.1)", () => {
  const isolatedLeaderAfterTimeout = (leaseIgnoresExpiry: boolean) => {
    const nt = new Network({
      ids: [1, 2, 3],
      config: {
        checkQuorum: true,
        readOnlyOption: "lease-based",
        testingKnobs: { leaseIgnoresExpiry },
      },
    });
    nt.campaign(1);
    nt.isolate(1);
    nt.tick(nt.node(1).node.raft.config.electionTick * 3, [1]);
    nt.raw(1).readIndex(bytes("stale?"));
    nt.stabilize();
    return nt.node(1);
  };

  it("off: a leader that lost its quorum steps down when its lease runs out", () => {
    const n = isolatedLeaderAfterTimeout(false);
    assert.equal(n.node.raft.state, "follower");
    assert.deepEqual(n.readStates, []);
  });

  it("on: the leader keeps serving lease reads long after its lease expired", () => {
    const n = isolatedLeaderAfterTimeout(true);
    assert.equal(n.node.raft.state, "leader");
    assert.deepEqual(
      n.readStates.map((rs) => text(rs.requestCtx)),
      ["stale?"],
    );
  });
});

describe("testingKnobs.commitPriorTermEntries (breaks §5.4.2, Figure 8)", () => {
  const commitAfterAck = (commitPriorTermEntries: boolean) => {
    const r = newTestRaft(
      1,
      newTestStorage({
        peers: [1, 2],
        entries: entriesWithTerms(1, 2),
        hardState: { term: term(2) },
      }),
      { testingKnobs: { commitPriorTermEntries } },
    );
    r.becomeCandidate();
    r.becomeLeader();
    readMessages(r);
    propose(r);
    // Node 2 acknowledges index 2, an entry of term 2, while the leader is in term 3.
    r.step({
      type: "MsgAppResp",
      from: nodeId(2),
      to: nodeId(1),
      term: r.term,
      index: logIndex(2),
      reject: false,
      rejectHint: logIndex(0),
      logTerm: term(0),
    });
    return r.raftLog.committed;
  };

  it("off: a replica count does not commit an entry of a previous term", () => {
    assert.equal(commitAfterAck(false), 0);
  });

  it("on: the leader commits the previous term's entry by counting replicas", () => {
    assert.equal(commitAfterAck(true), 2);
  });
});
