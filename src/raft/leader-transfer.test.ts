/**
 * Leadership transfer (thesis §3.10): the leader brings the transferee up to
 * date, tells it to campaign at once (MsgTimeoutNow), refuses proposals
 * meanwhile, and gives up after an election timeout.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nodeId } from "../lib/index.js";
import { Network } from "./testing/network.js";

const raft = (nt: Network, id: number) => nt.node(id).node.raft;

describe("leader transfer (thesis §3.10)", () => {
  it("hands leadership to an up-to-date follower", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.raw(1).transferLeader(nodeId(2));
    nt.stabilize();
    assert.equal(nt.leader(), 2);
    assert.equal(raft(nt, 1).state, "follower");
    assert.equal(raft(nt, 2).term, 2);
  });

  it("works with PreVote and CheckQuorum (a transfer skips pre-vote and the lease)", () => {
    const nt = new Network({ ids: [1, 2, 3], config: { preVote: true, checkQuorum: true } });
    nt.campaign(1);
    nt.raw(1).transferLeader(nodeId(3));
    nt.stabilize();
    assert.equal(nt.leader(), 3);
  });

  it("first catches up a slow follower, then transfers", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.isolate(3);
    nt.propose(1, "a");
    nt.recover();
    assert.equal(raft(nt, 1).trk.progress.get(nodeId(3))!.match, 1);
    nt.raw(1).transferLeader(nodeId(3));
    nt.stabilize();
    assert.equal(nt.leader(), 3);
    assert.deepEqual(nt.node(3).state, ["a"]);
  });

  it("drops proposals while a transfer is in progress", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.isolate(3);
    nt.raw(1).transferLeader(nodeId(3));
    nt.stabilize();
    assert.equal(raft(nt, 1).leadTransferee, 3);
    assert.equal(nt.propose(1, "x"), "PROPOSAL_DROPPED");
    // A follower forwarding to the leader loses its proposal the same way.
    assert.equal(nt.propose(2, "y"), undefined);
    assert.deepEqual(nt.node(1).state, []);
  });

  it("aborts the transfer after an election timeout", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.isolate(3);
    nt.raw(1).transferLeader(nodeId(3));
    nt.stabilize();
    nt.tick(9, [1]);
    assert.equal(raft(nt, 1).leadTransferee, 3);
    nt.tick(1, [1]);
    assert.equal(raft(nt, 1).leadTransferee, 0);
    assert.equal(nt.propose(1, "x"), undefined);
    assert.equal(nt.leader(), 1);
  });

  it("ignores a repeated request, replaces a different one, and ignores a transfer to itself", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.isolate(3);
    nt.isolate(2);
    nt.raw(1).transferLeader(nodeId(3));
    nt.raw(1).transferLeader(nodeId(3));
    assert.equal(raft(nt, 1).leadTransferee, 3);
    nt.raw(1).transferLeader(nodeId(2));
    assert.equal(raft(nt, 1).leadTransferee, 2);
    nt.raw(1).transferLeader(nodeId(1));
    assert.equal(raft(nt, 1).leadTransferee, 0);
    assert.equal(nt.leader(), 1);
  });

  it("ignores a transfer to a node outside the configuration", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.raw(1).transferLeader(nodeId(9));
    nt.stabilize();
    assert.equal(raft(nt, 1).leadTransferee, 0);
    assert.equal(nt.leader(), 1);
  });

  it("transfers leadership back and forth", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.raw(1).transferLeader(nodeId(2));
    nt.stabilize();
    nt.raw(2).transferLeader(nodeId(1));
    nt.stabilize();
    assert.equal(nt.leader(), 1);
    assert.equal(raft(nt, 1).term, 3);
  });

  it("a follower forwards a transfer request to its leader", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.raw(2).transferLeader(nodeId(2));
    nt.stabilize();
    assert.equal(nt.leader(), 2);
  });

  it("a follower without a leader drops the transfer request", () => {
    const nt = new Network(3);
    nt.raw(2).transferLeader(nodeId(2));
    nt.stabilize();
    assert.equal(nt.leader(), undefined);
  });

  it("aborts the transfer when the transferee is removed", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.isolate(3);
    nt.raw(1).transferLeader(nodeId(3));
    nt.stabilize();
    nt.recover();
    // Abort first so that the removal can be proposed, then begin the transfer again.
    nt.tick(10, [1]);
    nt.isolate(3);
    nt.raw(1).proposeConfChange({
      transition: "auto",
      changes: [{ type: "remove-node", nodeId: nodeId(3) }],
    });
    nt.raw(1).transferLeader(nodeId(3));
    nt.stabilize();
    assert.equal(raft(nt, 1).leadTransferee, 0);
    assert.deepEqual(nt.node(1).confState.voters, [1, 2]);
  });
});
