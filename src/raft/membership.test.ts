/**
 * Membership changes (paper §6; thesis §4): learners and their promotion,
 * single-step changes, joint consensus entered and left automatically or
 * explicitly, replacing the leader, and the one-pending-change rule.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTesseraError, nodeId, term } from "../lib/index.js";
import { decodeConfChange, encodeConfChange } from "./conf-change-codec.js";
import { Network } from "./testing/network.js";
import {
  commitNoopEntry,
  newTestRaft,
  newTestStorage,
  readMessages,
} from "./testing/raft-harness.js";
import type { ConfChange, ConfChangeSingle } from "./types.js";

const raft = (nt: Network, id: number) => nt.node(id).node.raft;
const add = (id: number): ConfChangeSingle => ({ type: "add-node", nodeId: nodeId(id) });
const remove = (id: number): ConfChangeSingle => ({ type: "remove-node", nodeId: nodeId(id) });
const learner = (id: number): ConfChangeSingle => ({ type: "add-learner", nodeId: nodeId(id) });

function change(nt: Network, id: number, cc: ConfChange): void {
  nt.raw(id).proposeConfChange(cc);
  nt.stabilize();
}

describe("learners (thesis §4.2.1)", () => {
  it("a learner receives the log but does not vote, and can be promoted", () => {
    const nt = new Network({ ids: [1, 2, 3], voters: [1, 2], learners: [3] });
    nt.campaign(1);
    nt.propose(1, "a");
    assert.deepEqual(nt.node(3).state, ["a"]);
    assert.equal(raft(nt, 3).isLearner, true);
    // With 2 down, the learner's acks do not make a quorum.
    nt.isolate(2);
    nt.propose(1, "b");
    assert.deepEqual(nt.node(1).state, ["a"]);
    nt.recover();
    nt.tick(1, [1]);
    assert.deepEqual(nt.node(1).state, ["a", "b"]);
    change(nt, 1, { transition: "auto", changes: [add(3)] });
    assert.deepEqual(nt.node(1).confState.voters, [1, 2, 3]);
    assert.deepEqual(nt.node(3).confState.learners, []);
    assert.equal(raft(nt, 3).isLearner, false);
    // Now 3 can campaign.
    nt.campaign(3);
    assert.equal(nt.leader(), 3);
  });

  it("a learner ignores a request to transfer leadership to it", () => {
    const nt = new Network({ ids: [1, 2, 3], voters: [1, 2], learners: [3] });
    nt.campaign(1);
    nt.raw(1).transferLeader(nodeId(3));
    nt.stabilize();
    assert.equal(raft(nt, 1).leadTransferee, 0);
    assert.equal(nt.leader(), 1);
  });
});

describe("single-step changes (thesis §4.1)", () => {
  it("adds a node that catches up through a snapshot", () => {
    const nt = new Network({ ids: [1, 2, 3], seed: 3 });
    nt.campaign(1);
    nt.propose(1, "a");
    // A new node must start from a snapshot that includes it: hold it off until then.
    nt.addNode(nodeId(4));
    nt.isolate(4);
    change(nt, 1, { transition: "auto", changes: [add(4)] });
    nt.node(1).compact();
    nt.recover();
    nt.tick(2, [1]);
    nt.propose(1, "b");
    assert.deepEqual(nt.node(4).state, ["a", "b"]);
    assert.deepEqual(nt.node(4).confState.voters, [1, 2, 3, 4]);
    nt.checkSafety();
  });

  it("removes a follower; the rest keep committing", () => {
    const nt = new Network(3);
    nt.campaign(1);
    change(nt, 1, { transition: "auto", changes: [remove(3)] });
    assert.deepEqual(nt.node(1).confState.voters, [1, 2]);
    nt.isolate(3);
    nt.propose(1, "x");
    assert.deepEqual(nt.node(2).state, ["x"]);
  });

  it("refuses a change that would remove every voter", () => {
    const nt = new Network(3);
    nt.campaign(1);
    assert.throws(
      () =>
        nt
          .raw(1)
          .proposeConfChange({ transition: "auto", changes: [remove(1), remove(2), remove(3)] }),
      (e) => isTesseraError(e, "INVALID_ARGUMENT"),
    );
  });

  it("turns a second conf change into an empty entry while one is pending", () => {
    const s = newTestStorage();
    const r = newTestRaft(1, s);
    r.becomeCandidate();
    r.becomeLeader();
    commitNoopEntry(r, s);
    const cc = (id: number) => ({
      type: "conf-change" as const,
      term: term(0),
      index: 0 as never,
      data: encodeConfChange({ transition: "auto", changes: [learner(id)] }),
    });
    r.step({ type: "MsgProp", from: nodeId(1), to: nodeId(1), term: term(0), entries: [cc(4)] });
    r.step({ type: "MsgProp", from: nodeId(1), to: nodeId(1), term: term(0), entries: [cc(5)] });
    readMessages(r);
    const ents = r.raftLog.nextUnstableEnts();
    assert.equal(ents.length, 2);
    assert.equal(ents[0]!.type, "conf-change");
    assert.equal(ents[1]!.type, "normal");
    assert.equal(ents[1]!.data.byteLength, 0);
    assert.equal(r.pendingConfIndex, ents[0]!.index);
  });

  it("refuses an empty (leave-joint) change outside a joint configuration", () => {
    const s = newTestStorage();
    const r = newTestRaft(1, s);
    r.becomeCandidate();
    r.becomeLeader();
    commitNoopEntry(r, s);
    r.step({
      type: "MsgProp",
      from: nodeId(1),
      to: nodeId(1),
      term: term(0),
      entries: [
        {
          type: "conf-change",
          term: term(0),
          index: 0 as never,
          data: encodeConfChange({ transition: "auto", changes: [] }),
        },
      ],
    });
    const ents = r.raftLog.nextUnstableEnts();
    assert.equal(ents[ents.length - 1]!.type, "normal");
  });
});

describe("joint consensus (§6)", () => {
  it("adds and removes at once through a joint configuration left automatically", () => {
    const nt = new Network({ ids: [1, 2, 3], seed: 6 });
    nt.campaign(1);
    nt.propose(1, "a");
    nt.addNode(nodeId(4));
    nt.isolate(4);
    change(nt, 1, { transition: "auto", changes: [add(4), remove(3)] });
    nt.node(1).compact();
    nt.recover();
    nt.tick(2, [1]);
    // The leader applied the joint config and then proposed leaving it.
    const cs = nt.node(1).confState;
    assert.deepEqual(cs.voters, [1, 2, 4]);
    assert.deepEqual(cs.votersOutgoing, []);
    assert.equal(cs.autoLeave, false);
    const kinds = nt
      .node(1)
      .appliedEntries.filter((e) => e.type === "conf-change")
      .map((e) => decodeConfChange(e.data).changes.length);
    assert.deepEqual(kinds, [2, 0]);
    nt.propose(1, "b");
    assert.deepEqual(nt.node(4).state, ["a", "b"]);
  });

  it("stays joint until an explicit leave when asked to", () => {
    const nt = new Network(3);
    nt.campaign(1);
    change(nt, 1, { transition: "joint-explicit", changes: [learner(3)] });
    let cs = nt.node(1).confState;
    assert.deepEqual(cs.voters, [1, 2]);
    assert.deepEqual(cs.votersOutgoing, [1, 2, 3]);
    assert.deepEqual(cs.learnersNext, [3]);
    // Another change must wait for the joint state to be left: it becomes a no-op.
    change(nt, 1, { transition: "auto", changes: [add(4)] });
    assert.deepEqual(nt.node(1).confState.votersOutgoing, [1, 2, 3]);
    change(nt, 1, { transition: "auto", changes: [] });
    cs = nt.node(1).confState;
    assert.deepEqual(cs.voters, [1, 2]);
    assert.deepEqual(cs.learners, [3]);
    assert.deepEqual(cs.votersOutgoing, []);
    assert.equal(raft(nt, 3).isLearner, true);
  });

  it("replaces the leader: once removed it hands leadership to a voter of the new configuration", () => {
    const nt = new Network({ ids: [1, 2, 3], config: { stepDownOnRemoval: true }, seed: 8 });
    nt.campaign(1);
    nt.propose(1, "a");
    nt.addNode(nodeId(4), undefined, { stepDownOnRemoval: true });
    nt.isolate(4);
    change(nt, 1, { transition: "joint-implicit", changes: [add(4), remove(1)] });
    for (const id of [1, 2, 3]) nt.node(id).compact();
    nt.recover();
    for (let i = 0; i < 100 && raft(nt, 1).state === "leader"; i++) nt.tick(1);
    assert.deepEqual(nt.node(2).confState.voters, [2, 3, 4]);
    assert.notEqual(raft(nt, 1).state, "leader");
    const l = nt.tickUntilLeader();
    assert.ok([2, 3, 4].includes(l));
    nt.propose(l, "b");
    for (const id of [2, 3, 4]) assert.deepEqual(nt.node(id).state, ["a", "b"]);
    nt.checkSafety();
  });

  it("a removed leader keeps leading until the change commits when not asked to step down", () => {
    const nt = new Network(3);
    nt.campaign(1);
    change(nt, 1, { transition: "auto", changes: [remove(1)] });
    assert.equal(raft(nt, 1).state, "leader");
    assert.deepEqual(nt.node(2).confState.voters, [2, 3]);
    assert.equal(nt.propose(1, "x"), "PROPOSAL_DROPPED");
  });
});
