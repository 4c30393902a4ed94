/**
 * The Raft paper's rules, one test each, citing the section they check
 * (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm";
 * the scenarios of etcd-io/raft raft_paper_test.go).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { logIndex, nodeId, term } from "../lib/index.js";
import type { MemoryStorage } from "./memory-storage.js";
import { Network } from "./testing/network.js";
import {
  acceptAndReply,
  brief,
  commitNoopEntry,
  entriesWithTerms,
  entry,
  hup,
  msgApp,
  newTestRaft,
  newTestStorage,
  propose,
  readMessages,
  sortMessages,
} from "./testing/raft-harness.js";
import type { Entry, StateType } from "./types.js";

const strip = (ents: readonly Entry[]) =>
  ents.map((e) => ({ term: e.term, index: e.index, data: [...e.data] }));

describe("Raft paper §5.1: terms", () => {
  for (const state of ["follower", "candidate", "leader"] as StateType[]) {
    it(`a ${state} that sees a higher term adopts it and becomes follower (§5.1)`, () => {
      const r = newTestRaft(1);
      if (state === "follower") r.becomeFollower(term(1), nodeId(2));
      if (state === "candidate") r.becomeCandidate();
      if (state === "leader") {
        r.becomeCandidate();
        r.becomeLeader();
      }
      r.step(msgApp({ from: 2, to: 1, term: 2 }));
      assert.equal(r.term, 2);
      assert.equal(r.state, "follower");
    });
  }

  it("ignores a request with a stale term (§5.1)", () => {
    const r = newTestRaft(1, newTestStorage({ hardState: { term: term(2) } }));
    r.step(msgApp({ from: 2, to: 1, term: 1, entries: [entry(1, 1)] }));
    assert.equal(r.term, 2);
    assert.equal(r.raftLog.lastIndex(), 0);
    assert.equal(r.lead, 0);
    assert.deepEqual(readMessages(r), []);
  });
});

describe("Raft paper §5.2: leader election", () => {
  it("starts as a follower (§5.2)", () => {
    const r = newTestRaft(1);
    assert.equal(r.state, "follower");
  });

  it("a leader sends heartbeats every heartbeat interval (§5.2)", () => {
    const r = newTestRaft(1);
    r.becomeCandidate();
    r.becomeLeader();
    for (let i = 0; i < 10; i++) propose(r, `${i}`);
    readMessages(r);
    r.tick();
    const msgs = sortMessages(readMessages(r)).map(brief);
    assert.deepEqual(msgs, [
      { type: "MsgHeartbeat", from: 1, to: 2, term: 1, commit: 0 },
      { type: "MsgHeartbeat", from: 1, to: 3, term: 1, commit: 0 },
    ]);
  });

  for (const state of ["follower", "candidate"] as StateType[]) {
    it(`a ${state} that times out starts an election for the next term (§5.2)`, () => {
      const r = newTestRaft(1);
      if (state === "follower") r.becomeFollower(term(1), nodeId(2));
      else r.becomeCandidate();
      for (let i = 1; i < 2 * 10; i++) r.tick();
      assert.equal(r.term, 2);
      assert.equal(r.state, "candidate");
      const msgs = sortMessages(readMessages(r)).map(brief);
      assert.equal(r.trk.votes.get(r.id), true);
      assert.deepEqual(msgs, [
        { type: "MsgVote", from: 1, to: 2, term: 2, index: 0, logTerm: 0 },
        { type: "MsgVote", from: 1, to: 3, term: 2, index: 0, logTerm: 0 },
      ]);
    });
  }

  const oneRound: [number, Record<number, boolean>, StateType][] = [
    [1, {}, "leader"],
    [3, { 2: true, 3: true }, "leader"],
    [3, { 2: true }, "leader"],
    [5, { 2: true, 3: true, 4: true, 5: true }, "leader"],
    [5, { 2: true, 3: true, 4: true }, "leader"],
    [5, { 2: true, 3: true }, "leader"],
    [3, { 2: false, 3: false }, "follower"],
    [5, { 2: false, 3: false, 4: false, 5: false }, "follower"],
    [5, { 2: true, 3: false, 4: false, 5: false }, "follower"],
    [3, {}, "candidate"],
    [5, { 2: true }, "candidate"],
    [5, { 2: false, 3: false }, "candidate"],
    [5, {}, "candidate"],
  ];
  for (const [size, votes, want] of oneRound) {
    it(`wins, loses or waits on one round of votes: ${size} nodes, votes ${JSON.stringify(votes)} → ${want} (§5.2)`, () => {
      const peers = Array.from({ length: size }, (_, i) => i + 1);
      const r = newTestRaft(1, newTestStorage({ peers }));
      hup(r);
      readMessages(r);
      for (const [id, granted] of Object.entries(votes)) {
        r.step({
          type: "MsgVoteResp",
          from: nodeId(Number(id)),
          to: nodeId(1),
          term: r.term,
          reject: !granted,
        });
      }
      assert.equal(r.state, want);
      assert.equal(r.term, 1);
    });
  }

  const votes: [number, number, boolean][] = [
    [0, 2, false],
    [0, 3, false],
    [2, 2, false],
    [3, 3, false],
    [2, 3, true],
    [3, 2, true],
  ];
  for (const [vote, candidate, reject] of votes) {
    it(`a follower votes first-come-first-served: voted ${vote}, asked by ${candidate} → ${reject ? "reject" : "grant"} (§5.2)`, () => {
      const r = newTestRaft(
        1,
        newTestStorage({ hardState: { term: term(1), vote: nodeId(vote) } }),
      );
      r.step({
        type: "MsgVote",
        from: nodeId(candidate),
        to: nodeId(1),
        term: term(1),
        index: logIndex(0),
        logTerm: term(0),
        transfer: false,
      });
      assert.deepEqual(readMessages(r).map(brief), [
        { type: "MsgVoteResp", from: 1, to: candidate, term: 1, reject },
      ]);
    });
  }

  for (const leaderTerm of [1, 2]) {
    it(`a candidate falls back to follower on an append from a leader of term ${leaderTerm} ≥ its own (§5.2)`, () => {
      const r = newTestRaft(1);
      hup(r);
      assert.equal(r.state, "candidate");
      r.step(msgApp({ from: 2, to: 1, term: leaderTerm }));
      assert.equal(r.state, "follower");
      assert.equal(r.term, leaderTerm);
    });
  }

  for (const state of ["follower", "candidate"] as StateType[]) {
    it(`a ${state}'s election timeout is randomized over [et, 2et) (§5.2)`, () => {
      const et = 10;
      const r = newTestRaft(1);
      const seen = new Set<number>();
      for (let round = 0; round < 50 * et; round++) {
        if (state === "follower") r.becomeFollower(term(r.term + 1), nodeId(2));
        else r.becomeCandidate();
        readMessages(r);
        let time = 0;
        while (readMessages(r).length === 0) {
          r.tick();
          time++;
        }
        seen.add(time);
      }
      for (let d = et + 1; d < 2 * et; d++) assert.ok(seen.has(d), `timeout ${d} never seen`);
      assert.ok(!seen.has(2 * et));
    });
  }

  for (const state of ["follower", "candidate"] as StateType[]) {
    it(`${state}s rarely time out together, thanks to randomization (§5.2)`, () => {
      const rs = [1, 2, 3, 4, 5].map((id) =>
        newTestRaft(id, newTestStorage({ peers: [1, 2, 3, 4, 5] })),
      );
      let conflicts = 0;
      for (let round = 0; round < 1000; round++) {
        for (const r of rs) {
          if (state === "follower") r.becomeFollower(term(r.term + 1), nodeId(0));
          else r.becomeCandidate();
          readMessages(r);
        }
        let timeouts = 0;
        while (timeouts === 0) {
          for (const r of rs) {
            r.tick();
            if (readMessages(r).length > 0) timeouts++;
          }
        }
        if (timeouts > 1) conflicts++;
      }
      assert.ok(conflicts / 1000 <= 0.3, `conflict rate ${conflicts / 1000}`);
    });
  }
});

describe("Raft paper §5.3: log replication", () => {
  function newLeader(peers = [1, 2, 3]): { r: ReturnType<typeof newTestRaft>; s: MemoryStorage } {
    const s = newTestStorage({ peers });
    const r = newTestRaft(1, s);
    r.becomeCandidate();
    r.becomeLeader();
    commitNoopEntry(r, s);
    return { r, s };
  }

  it("a leader appends a proposal and sends it to every follower (§5.3)", () => {
    const { r } = newLeader();
    const li = r.raftLog.lastIndex();
    propose(r, "some data");
    assert.equal(r.raftLog.lastIndex(), li + 1);
    assert.equal(r.raftLog.committed, li);
    const msgs = sortMessages(readMessages(r));
    assert.deepEqual(msgs.map(brief), [
      { type: "MsgApp", from: 1, to: 2, term: 1, index: li, logTerm: 1, commit: li },
      { type: "MsgApp", from: 1, to: 3, term: 1, index: li, logTerm: 1, commit: li },
    ]);
    for (const m of msgs) {
      assert.equal(m.type, "MsgApp");
      if (m.type === "MsgApp")
        assert.deepEqual(strip(m.entries), strip([entry(1, li + 1, "some data")]));
    }
    assert.deepEqual(strip(r.raftLog.nextUnstableEnts()), strip([entry(1, li + 1, "some data")]));
  });

  it("a leader commits an entry once a majority has it, and tells followers (§5.3)", () => {
    const { r } = newLeader();
    const li = r.raftLog.lastIndex();
    propose(r, "some data");
    for (const m of readMessages(r)) r.step(acceptAndReply(m));
    assert.equal(r.raftLog.committed, li + 1);
    assert.deepEqual(
      strip(r.raftLog.nextCommittedEnts(true)),
      strip([entry(1, li + 1, "some data")]),
    );
    const msgs = sortMessages(readMessages(r));
    assert.deepEqual(
      msgs.map((m) => [m.to, m.type, m.type === "MsgApp" ? m.commit : -1]),
      [
        [2, "MsgApp", li + 1],
        [3, "MsgApp", li + 1],
      ],
    );
  });

  const acks: [number, number[], boolean][] = [
    [1, [], true],
    [3, [], false],
    [3, [2], true],
    [3, [2, 3], true],
    [5, [], false],
    [5, [2], false],
    [5, [2, 3], true],
    [5, [2, 3, 4], true],
    [5, [2, 3, 4, 5], true],
  ];
  for (const [size, acceptors, committed] of acks) {
    it(`a leader commits only with a majority of acks: ${size} nodes, acks ${JSON.stringify(acceptors)} → ${committed} (§5.3)`, () => {
      const { r } = newLeader(Array.from({ length: size }, (_, i) => i + 1));
      const li = r.raftLog.lastIndex();
      propose(r, "some data");
      for (const m of readMessages(r)) if (acceptors.includes(m.to)) r.step(acceptAndReply(m));
      assert.equal(r.raftLog.committed > li, committed);
    });
  }

  for (const prior of [[], [2], [1], [1, 1]]) {
    it(`committing an entry commits all preceding entries, prior terms ${JSON.stringify(prior)} (§5.3)`, () => {
      const s = newTestStorage({ entries: entriesWithTerms(...prior) });
      const r = newTestRaft(1, newTestStorageFrom(s, 2));
      r.becomeCandidate();
      r.becomeLeader();
      propose(r, "some data");
      for (const m of readMessages(r)) r.step(acceptAndReply(m));
      const li = prior.length;
      const want = [...entriesWithTerms(...prior), entry(3, li + 1), entry(3, li + 2, "some data")];
      assert.deepEqual(strip(r.raftLog.nextCommittedEnts(true)), strip(want));
    });
  }

  const followerCommits: [Entry[], number][] = [
    [[entry(1, 1, "some data")], 1],
    [[entry(1, 1, "some data"), entry(1, 2, "some data2")], 2],
    [[entry(1, 1, "some data2"), entry(1, 2, "some data")], 2],
    [[entry(1, 1, "some data"), entry(1, 2, "some data2")], 1],
  ];
  for (const [ents, commit] of followerCommits) {
    it(`a follower applies entries up to the leader's commit index: ${ents.length} entries, commit ${commit} (§5.3)`, () => {
      const r = newTestRaft(1);
      r.becomeFollower(term(1), nodeId(2));
      r.step(msgApp({ from: 2, to: 1, term: 1, entries: ents, commit }));
      assert.equal(r.raftLog.committed, commit);
      assert.deepEqual(strip(r.raftLog.nextCommittedEnts(true)), strip(ents.slice(0, commit)));
    });
  }

  const checks: [number, number, number, boolean, number, number][] = [
    [0, 0, 1, false, 0, 0], // matches committed entries
    [1, 1, 1, false, 0, 0],
    [2, 2, 2, false, 0, 0], // matches an uncommitted entry
    [1, 2, 2, true, 1, 1], // mismatch at an existing entry
    [3, 3, 3, true, 2, 2], // entry does not exist
  ];
  for (const [logTerm, index, wIndex, wReject, wHint, wLogTerm] of checks) {
    it(`a follower checks the previous entry of an append: (${logTerm}, ${index}) → ${wReject ? "reject" : "accept"} (§5.3)`, () => {
      const s = newTestStorage({
        entries: entriesWithTerms(1, 2),
        hardState: { commit: logIndex(1) },
      });
      const r = newTestRaft(1, s);
      r.becomeFollower(term(2), nodeId(2));
      r.step(msgApp({ from: 2, to: 1, term: 2, logTerm, index }));
      const want: Record<string, unknown> = {
        type: "MsgAppResp",
        from: 1,
        to: 2,
        term: 2,
        index: wIndex,
        reject: wReject,
      };
      want.logTerm = wLogTerm;
      want.rejectHint = wHint;
      assert.deepEqual(readMessages(r).map(brief), [want]);
    });
  }

  const appends: [number, number, Entry[], Entry[], Entry[]][] = [
    [2, 2, [entry(3, 3)], [entry(1, 1), entry(2, 2), entry(3, 3)], [entry(3, 3)]],
    [
      1,
      1,
      [entry(3, 2), entry(4, 3)],
      [entry(1, 1), entry(3, 2), entry(4, 3)],
      [entry(3, 2), entry(4, 3)],
    ],
    [0, 0, [entry(1, 1)], [entry(1, 1), entry(2, 2)], []],
    [0, 0, [entry(3, 1)], [entry(3, 1)], [entry(3, 1)]],
  ];
  for (const [index, t, ents, wents, wunstable] of appends) {
    it(`a follower deletes conflicting entries and appends new ones after (${t}, ${index}) (§5.3)`, () => {
      const r = newTestRaft(1, newTestStorage({ entries: entriesWithTerms(1, 2) }));
      r.becomeFollower(term(2), nodeId(2));
      r.step(msgApp({ from: 2, to: 1, term: 2, logTerm: t, index, entries: ents }));
      assert.deepEqual(strip(r.raftLog.allEntries()), strip(wents));
      assert.deepEqual(strip(r.raftLog.nextUnstableEnts()), strip(wunstable));
    });
  }

  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const followerLogs: number[][] = [
    [1, 1, 1, 4, 4, 5, 5, 6, 6],
    [1, 1, 1, 4],
    [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    [1, 1, 1, 4, 4, 4, 4],
    [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  ];
  for (const [i, flog] of followerLogs.entries()) {
    it(`a leader brings a divergent follower's log in line with its own, case ${String.fromCharCode(97 + i)} of Figure 7 (§5.3)`, () => {
      const t = 8;
      const leadStorage = newTestStorage({
        entries: entriesWithTerms(...leaderLog),
        hardState: { term: term(t), commit: logIndex(leaderLog.length) },
      });
      const followerStorage = newTestStorage({
        entries: entriesWithTerms(...flog),
        hardState: { term: term(t - 1) },
      });
      const nt = new Network({ ids: [1, 2, 3] });
      nt.addNode(nodeId(1), leadStorage);
      nt.addNode(nodeId(2), followerStorage);
      nt.isolate(3);
      nt.raw(1).campaign();
      nt.stabilize();
      // Node 3 grants its vote; the follower may refuse if its log is more up to date.
      nt.raw(1).step({
        type: "MsgVoteResp",
        from: nodeId(3),
        to: nodeId(1),
        term: term(t + 1),
        reject: false,
      });
      nt.stabilize();
      assert.equal(nt.node(1).node.raft.state, "leader");
      nt.raw(1).propose(new Uint8Array());
      nt.stabilize();
      const l = nt.node(1).node.raft.raftLog;
      const f = nt.node(2).node.raft.raftLog;
      assert.deepEqual(strip(f.allEntries()), strip(l.allEntries()));
      assert.equal(f.committed, l.committed);
    });
  }
});

describe("Raft paper §5.4: safety", () => {
  const requests: [Entry[], number][] = [
    [[entry(1, 1)], 2],
    [[entry(1, 1), entry(2, 2)], 3],
  ];
  for (const [ents, wterm] of requests) {
    it(`a vote request carries the candidate's last log index and term, ${ents.length} entries (§5.4.1)`, () => {
      const r = newTestRaft(1);
      r.step(msgApp({ from: 2, to: 1, term: wterm - 1, entries: ents }));
      readMessages(r);
      for (let i = 1; i < 2 * 10; i++) r.tick();
      const last = ents[ents.length - 1]!;
      assert.deepEqual(sortMessages(readMessages(r)).map(brief), [
        { type: "MsgVote", from: 1, to: 2, term: wterm, index: last.index, logTerm: last.term },
        { type: "MsgVote", from: 1, to: 3, term: wterm, index: last.index, logTerm: last.term },
      ]);
    });
  }

  const voters: [number[], number, number, boolean][] = [
    [[1], 1, 1, false], // same logterm
    [[1], 1, 2, false],
    [[1, 1], 1, 1, true],
    [[1], 2, 1, false], // candidate higher logterm
    [[1], 2, 2, false],
    [[1, 1], 2, 1, false],
    [[2], 1, 1, true], // voter higher logterm
    [[2], 1, 2, true],
    [[2, 1], 1, 1, true],
  ];
  for (const [terms, logTerm, index, reject] of voters) {
    it(`a voter grants only to a candidate at least as up to date: log ${JSON.stringify(terms)} vs (${logTerm}, ${index}) (§5.4.1)`, () => {
      const r = newTestRaft(
        1,
        newTestStorage({ peers: [1, 2], entries: entriesWithTerms(...terms) }),
      );
      r.step({
        type: "MsgVote",
        from: nodeId(2),
        to: nodeId(1),
        term: term(3),
        index: logIndex(index),
        logTerm: term(logTerm),
        transfer: false,
      });
      const msgs = readMessages(r);
      assert.equal(msgs.length, 1);
      assert.equal(msgs[0]!.type, "MsgVoteResp");
      assert.equal((msgs[0] as { reject: boolean }).reject, reject);
    });
  }

  const commits: [number, number][] = [
    [1, 0],
    [2, 0],
    [3, 3],
  ];
  for (const [index, wcommit] of commits) {
    it(`a leader commits by counting replicas only entries of its own term: ack ${index} → commit ${wcommit} (§5.4.2, Figure 8)`, () => {
      const r = newTestRaft(
        1,
        newTestStorage({
          peers: [1, 2],
          entries: entriesWithTerms(1, 2),
          hardState: { term: term(2) },
        }),
      );
      r.becomeCandidate();
      r.becomeLeader();
      readMessages(r);
      propose(r);
      r.step({
        type: "MsgAppResp",
        from: nodeId(2),
        to: nodeId(1),
        term: r.term,
        index: logIndex(index),
        reject: false,
        rejectHint: logIndex(0),
        logTerm: term(0),
      });
      assert.equal(r.raftLog.committed, wcommit);
    });
  }
});

/** A copy of `s` with hard state term `t` (for leaders that must win term t+1). */
function newTestStorageFrom(s: MemoryStorage, t: number): MemoryStorage {
  s.setHardState({ term: term(t), vote: nodeId(0), commit: logIndex(0) });
  return s;
}
