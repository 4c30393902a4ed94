/**
 * Replication details beyond the paper's rules (§5.3 and etcd-io/raft
 * raft_test.go): fast conflict backtracking with the follower's hint,
 * heartbeats that never carry a commit index past the follower's match,
 * commits unlocked by a configuration change, and state transitions that must
 * never happen.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AssertionError, logIndex, nodeId, term } from "../lib/index.js";
import { encodeConfChange } from "./conf-change-codec.js";
import { Network } from "./testing/network.js";
import {
  commitNoopEntry,
  entriesWithTerms,
  hup,
  msgApp,
  newTestRaft,
  newTestStorage,
  propose,
  readMessages,
} from "./testing/raft-harness.js";
import type { Message } from "./types.js";

describe("fast log backtracking (§5.3, end)", () => {
  it("skips a whole divergent term per round trip instead of one entry", () => {
    // The follower has 50 entries of term 2 the leader never had; the leader has 50 of term 3.
    const followerTerms = [1, ...Array<number>(50).fill(2)];
    const leaderTerms = [1, ...Array<number>(50).fill(3)];
    const leader = newTestRaft(
      1,
      newTestStorage({
        peers: [1, 2],
        entries: entriesWithTerms(...leaderTerms),
        hardState: { term: term(3) },
      }),
    );
    const follower = newTestRaft(
      2,
      newTestStorage({
        peers: [1, 2],
        entries: entriesWithTerms(...followerTerms),
        hardState: { term: term(3) },
      }),
    );
    hup(leader);
    for (const m of readMessages(leader)) follower.step(m);
    for (const m of readMessages(follower)) leader.step(m);
    assert.equal(leader.state, "leader");
    let rejections = 0;
    for (let round = 0; round < 10; round++) {
      const toFollower = readMessages(leader);
      if (toFollower.length === 0) break;
      for (const m of toFollower) follower.step(m);
      const back = readMessages(follower);
      rejections += back.filter((m) => m.type === "MsgAppResp" && m.reject).length;
      for (const m of back) leader.step(m);
    }
    assert.ok(rejections <= 2, `took ${rejections} rejections`);
    assert.equal(follower.raftLog.lastIndex(), leader.raftLog.lastIndex());
    assert.equal(follower.raftLog.termOrUndefined(logIndex(51)), 3);
  });
});

describe("commit index propagation", () => {
  it("a heartbeat carries min(match, commit) so a lagging follower never commits past its log", () => {
    const s = newTestStorage();
    const r = newTestRaft(1, s);
    r.becomeCandidate();
    r.becomeLeader();
    commitNoopEntry(r, s);
    propose(r, "a");
    readMessages(r);
    // Only 3 acknowledges: commit moves to 2, but 2's match is still 1.
    r.step({
      type: "MsgAppResp",
      from: nodeId(3),
      to: nodeId(1),
      term: term(1),
      index: logIndex(2),
      reject: false,
      rejectHint: logIndex(0),
      logTerm: term(0),
    });
    readMessages(r);
    assert.equal(r.raftLog.committed, 2);
    r.tick();
    const beats = readMessages(r).filter((m) => m.type === "MsgHeartbeat");
    assert.deepEqual(
      beats.map((m) => [m.to, m.type === "MsgHeartbeat" && m.commit]),
      [
        [2, 1],
        [3, 2],
      ],
    );
  });

  it("removing a node can commit entries it was holding back", () => {
    const s = newTestStorage({ peers: [1, 2] });
    const r = newTestRaft(1, s);
    r.becomeCandidate();
    r.becomeLeader();
    commitNoopEntry(r, s);
    const ccData = encodeConfChange({
      transition: "auto",
      changes: [{ type: "remove-node", nodeId: nodeId(2) }],
    });
    r.step({
      type: "MsgProp",
      from: nodeId(1),
      to: nodeId(1),
      term: term(0),
      entries: [{ term: term(0), index: logIndex(0), type: "conf-change", data: ccData }],
    });
    propose(r, "hello");
    readMessages(r);
    const before = r.raftLog.committed;
    // The application applies the (pretend-committed) removal: a single voter commits alone.
    r.applyConfChange({
      transition: "auto",
      changes: [{ type: "remove-node", nodeId: nodeId(2) }],
    });
    assert.ok(r.raftLog.committed > before);
    assert.equal(r.raftLog.committed, r.raftLog.lastIndex());
  });
});

describe("state transitions", () => {
  it("a follower cannot become leader directly, nor a leader candidate", () => {
    const r = newTestRaft(1);
    assert.throws(() => r.becomeLeader(), AssertionError);
    r.becomeCandidate();
    r.becomeLeader();
    assert.throws(() => r.becomeCandidate(), AssertionError);
    assert.throws(() => r.becomePreCandidate(), AssertionError);
  });

  it("a leader ignores a campaign request", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.campaign(1);
    assert.equal(nt.node(1).node.raft.term, 1);
    assert.equal(nt.leader(), 1);
  });

  it("a node does not campaign while it has unapplied conf changes committed", () => {
    const r = newTestRaft(1, newTestStorage({ peers: [1, 2, 3] }));
    const cc = {
      term: term(1),
      index: logIndex(1),
      type: "conf-change" as const,
      data: encodeConfChange({
        transition: "auto",
        changes: [{ type: "add-learner", nodeId: nodeId(4) }],
      }),
    };
    r.step(msgApp({ from: 2, to: 1, term: 1, entries: [cc], commit: 1 }));
    readMessages(r);
    hup(r);
    assert.equal(r.state, "follower");
  });

  it("a candidate that sees a leader of its term in a heartbeat follows it", () => {
    const r = newTestRaft(1);
    hup(r);
    r.step({
      type: "MsgHeartbeat",
      from: nodeId(2),
      to: nodeId(1),
      term: r.term,
      commit: logIndex(0),
    });
    assert.equal(r.state, "follower");
    assert.equal(r.lead, 2);
  });

  it("a leader never steps an append of its own term (two leaders in one term)", () => {
    const r = newTestRaft(1);
    r.becomeCandidate();
    r.becomeLeader();
    assert.throws(() => r.step(msgApp({ from: 2, to: 1, term: 1 })), AssertionError);
  });

  it("responds to a stale-term append with its term when CheckQuorum or PreVote is on", () => {
    const r = newTestRaft(1, newTestStorage({ hardState: { term: term(5) } }), { preVote: true });
    r.step(msgApp({ from: 2, to: 1, term: 3 }));
    const msgs: Message[] = readMessages(r);
    assert.deepEqual(
      msgs.map((m) => [m.type, m.term]),
      [["MsgAppResp", 5]],
    );
    r.step({
      type: "MsgPreVote",
      from: nodeId(2),
      to: nodeId(1),
      term: term(4),
      index: logIndex(0),
      logTerm: term(0),
      transfer: false,
    });
    assert.deepEqual(
      readMessages(r).map((m) => [m.type, m.term, (m as { reject?: boolean }).reject]),
      [["MsgPreVoteResp", 5, true]],
    );
  });
});
