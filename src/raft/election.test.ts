/**
 * Election scenarios on an in-memory network: dueling candidates, a
 * partitioned node rejoining with and without PreVote (thesis §9.6), and
 * CheckQuorum (thesis §6.2) stepping a leader down and freeing a stuck
 * candidate.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Network } from "./testing/network.js";
import { newTestRaft, newTestStorage } from "./testing/raft-harness.js";

const raft = (nt: Network, id: number) => nt.node(id).node.raft;

describe("elections (§5.2)", () => {
  it("resolves dueling candidates: the one with the shorter log cannot win (§5.2, §5.4.1)", () => {
    const nt = new Network(3);
    nt.cut(1, 3);
    nt.campaign(1);
    nt.campaign(3);
    assert.equal(raft(nt, 1).state, "leader");
    // 3 got its own vote and a rejection from 2, which already voted for 1.
    assert.equal(raft(nt, 3).state, "candidate");
    nt.recover();
    // 3's higher term disrupts the leader, but nobody votes for its shorter log.
    nt.campaign(3);
    for (const id of [1, 2, 3]) {
      assert.equal(raft(nt, id).state, "follower", `node ${id}`);
      assert.equal(raft(nt, id).term, 2);
    }
    nt.checkSafety();
  });

  it("with PreVote, dueling pre-candidates do not disrupt the elected leader (thesis §9.6)", () => {
    const nt = new Network({ ids: [1, 2, 3], config: { preVote: true } });
    nt.cut(1, 3);
    nt.campaign(1);
    nt.campaign(3);
    assert.equal(raft(nt, 1).state, "leader");
    assert.equal(raft(nt, 3).state, "follower");
    nt.recover();
    nt.campaign(3);
    assert.equal(raft(nt, 1).state, "leader");
    assert.equal(raft(nt, 1).term, 1);
    assert.equal(raft(nt, 3).state, "follower");
  });

  it("a partitioned node that rejoins without PreVote disrupts the leader with its inflated term (§5.1)", () => {
    const nt = new Network({ ids: [1, 2, 3], seed: 3 });
    nt.campaign(1);
    nt.isolate(3);
    nt.propose(1, "a");
    nt.tick(50, [3]);
    const inflated = raft(nt, 3).term;
    assert.ok(inflated > 2);
    nt.recover();
    nt.tick(1, [1]); // the leader's heartbeat reaches 3, whose term is higher
    nt.tick(40);
    const l = nt.tickUntilLeader();
    assert.ok(raft(nt, l).term > inflated, "a new election at a higher term happened");
    assert.notEqual(l, 3, "the stale node cannot win");
    nt.checkSafety();
  });

  it("a partitioned node that rejoins with PreVote does not raise its term or disrupt (thesis §9.6)", () => {
    const nt = new Network({ ids: [1, 2, 3], config: { preVote: true }, seed: 3 });
    nt.campaign(1);
    nt.propose(1, "a");
    nt.isolate(3);
    nt.tick(50, [3]);
    assert.equal(raft(nt, 3).term, 1);
    assert.equal(raft(nt, 3).state, "pre-candidate");
    nt.recover();
    nt.tick(3, [1]);
    assert.equal(raft(nt, 1).state, "leader");
    assert.equal(raft(nt, 1).term, 1);
    assert.equal(raft(nt, 3).state, "follower");
    assert.equal(raft(nt, 3).lead, 1);
    assert.deepEqual(nt.node(3).state, ["a"]);
  });

  it("a node that is not a voter never campaigns", () => {
    const nt = new Network({ ids: [1, 2, 3], voters: [1, 2], learners: [3] });
    nt.tick(100, [3]);
    assert.equal(raft(nt, 3).state, "follower");
    assert.equal(raft(nt, 3).term, 0);
  });

  it("a single-node cluster elects itself and commits alone", () => {
    const nt = new Network(1);
    nt.campaign(1);
    assert.equal(raft(nt, 1).state, "leader");
    nt.propose(1, "solo");
    assert.deepEqual(nt.node(1).state, ["solo"]);
  });

  it("a follower grants a vote again to the candidate it voted for (retried request)", () => {
    const nt = new Network(3);
    nt.isolate(1);
    nt.campaign(1);
    const r2 = raft(nt, 2);
    const vote = {
      type: "MsgVote",
      from: 1,
      to: 2,
      term: 1,
      index: 0,
      logTerm: 0,
      transfer: false,
    } as const;
    r2.step(vote as never);
    r2.step(vote as never);
    assert.equal(r2.vote, 1);
    const resps = r2.msgsAfterAppend.filter((m) => m.type === "MsgVoteResp");
    assert.deepEqual(
      resps.map((m) => (m as { reject: boolean }).reject),
      [false, false],
    );
  });
});

describe("CheckQuorum (thesis §6.2)", () => {
  it("a leader that hears from no quorum within an election timeout steps down", () => {
    const nt = new Network({ ids: [1, 2, 3], config: { checkQuorum: true } });
    nt.campaign(1);
    nt.isolate(1);
    nt.tick(10, [1]);
    // The first check sees the answers of the election; the second sees silence.
    assert.equal(raft(nt, 1).state, "leader");
    nt.tick(10, [1]);
    assert.equal(raft(nt, 1).state, "follower");
  });

  it("a leader that keeps hearing from a quorum stays leader", () => {
    const nt = new Network({ ids: [1, 2, 3], config: { checkQuorum: true } });
    nt.campaign(1);
    nt.isolate(3);
    nt.tick(35, [1]);
    assert.equal(raft(nt, 1).state, "leader");
  });

  it("a follower in a live leader's lease ignores a disruptive vote request", () => {
    const nt = new Network({ ids: [1, 2, 3], config: { checkQuorum: true } });
    nt.campaign(1);
    nt.isolate(1);
    nt.cut(2, 3);
    nt.recover();
    nt.campaign(3);
    // 1 and 2 heard from the leader recently and ignore 3's request.
    assert.equal(raft(nt, 1).state, "leader");
    assert.equal(raft(nt, 3).state, "candidate");
    assert.equal(raft(nt, 2).term, 1);
  });

  it("frees a candidate stuck at a higher term: the leader learns the term and steps down", () => {
    const nt = new Network({ ids: [1, 2, 3], config: { checkQuorum: true }, seed: 5 });
    nt.campaign(1);
    nt.isolate(3);
    nt.propose(1, "a");
    nt.campaign(3);
    nt.campaign(3);
    assert.equal(raft(nt, 3).state, "candidate");
    assert.equal(raft(nt, 3).term, 3);
    nt.recover();
    // 1 and 2 are in the leader's lease and ignore 3's requests; 3 would stay stuck.
    nt.campaign(3);
    assert.equal(raft(nt, 1).state, "leader");
    assert.equal(raft(nt, 1).term, 1);
    // The leader's heartbeat reaches the candidate, which answers with its higher term.
    nt.tick(1, [1]);
    assert.equal(raft(nt, 1).state, "follower");
    assert.equal(raft(nt, 1).term, raft(nt, 3).term);
    const l = nt.tickUntilLeader();
    assert.ok(l === 1 || l === 2, "the candidate with the shorter log cannot win");
    nt.tick(2);
    assert.equal(raft(nt, 3).state, "follower");
    assert.deepEqual(nt.node(3).state, ["a"]);
    nt.checkSafety();
  });

  it("with PreVote and CheckQuorum, the cluster elects a new leader after the old one is isolated", () => {
    const nt = new Network({
      ids: [1, 2, 3],
      config: { checkQuorum: true, preVote: true },
      seed: 11,
    });
    nt.campaign(1);
    nt.propose(1, "x");
    nt.isolate(1);
    nt.tick(60);
    const l = nt.leader();
    assert.ok(l === 2 || l === 3, `leader ${l}`);
    assert.equal(raft(nt, 1).state === "leader", false);
    nt.recover();
    nt.tick(5);
    assert.equal(raft(nt, 1).lead, l);
    nt.checkSafety();
  });
});

describe("vote floor (a replica made where an earlier one was destroyed)", () => {
  // The destroyed replica's log reached index 5 in term 2; this one's is empty.
  const floor = { voteFloor: { index: 5, term: 2 } } as never;
  const vote = (type: "MsgVote" | "MsgPreVote", index: number, logTerm: number) =>
    ({ type, from: 1, to: 2, term: 3, index, logTerm, transfer: false }) as never;
  const answer = (r: ReturnType<typeof newTestRaft>) => {
    const all = [...r.msgs, ...r.msgsAfterAppend];
    r.msgs = [];
    r.msgsAfterAppend = [];
    const resp = all.find((m) => m.type === "MsgVoteResp" || m.type === "MsgPreVoteResp");
    assert.ok(resp, "no vote response");
    return (resp as { reject: boolean }).reject ? "reject" : "grant";
  };

  it("refuses a candidate whose log is behind the floor, though ahead of its own", () => {
    const r = newTestRaft(2, newTestStorage(), floor);
    r.step(vote("MsgPreVote", 4, 2));
    assert.equal(answer(r), "reject");
    r.step(vote("MsgVote", 4, 2));
    assert.equal(answer(r), "reject");
    assert.equal(r.vote, 0);
  });

  it("grants a candidate at or past the floor", () => {
    const r = newTestRaft(2, newTestStorage(), floor);
    r.step(vote("MsgVote", 5, 2));
    assert.equal(answer(r), "grant");
    const later = newTestRaft(2, newTestStorage(), floor);
    later.step(vote("MsgVote", 1, 3));
    assert.equal(answer(later), "grant");
  });

  it("changes nothing without a floor", () => {
    const r = newTestRaft(2);
    r.step(vote("MsgVote", 4, 2));
    assert.equal(answer(r), "grant");
  });
});
