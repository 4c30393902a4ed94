/**
 * `skipHeartbeatsWhileAppending`: a leader's periodic heartbeat skips the
 * followers it sent an append since the previous round; heartbeats that
 * confirm reads always go out.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "./index.js";
import { bytes, Network } from "./testing/network.js";

function cluster(skipHeartbeatsWhileAppending: boolean, maxInflightMsgs = 256): Network {
  const nt = new Network({
    ids: [1, 2, 3],
    seed: 1,
    config: {
      checkQuorum: true,
      commitOnHeartbeat: true,
      skipHeartbeatsWhileAppending,
      maxInflightMsgs,
    },
  });
  nt.campaign(1);
  nt.stabilize();
  return nt;
}

/** The messages of `types` node 1 sends while `act` runs and the network settles. */
function sentDuring(nt: Network, types: readonly string[], act: () => void): Message[] {
  const sent: Message[] = [];
  nt.onSend = (m) => {
    if (m.from === 1 && types.includes(m.type)) sent.push(m);
  };
  act();
  nt.stabilize();
  nt.onSend = undefined;
  return sent;
}

const committed = (nt: Network, id: number) => nt.node(id).node.raft.raftLog.committed;

describe("skipHeartbeatsWhileAppending", () => {
  it("sends no heartbeat to followers that got an append since the last round, for as long as writes go on", () => {
    const nt = cluster(true);
    const leader = nt.node(1).node.raft;
    // Three election timeouts, a write every tick, every node ticking: appends alone
    // keep the followers from campaigning and the leader's quorum check satisfied.
    let beats = 0;
    for (let t = 0; t < 30; t++) {
      beats += sentDuring(nt, ["MsgHeartbeat"], () => {
        nt.propose(1, `w${t}`);
        nt.tick(1);
      }).length;
      assert.equal(leader.state, "leader", `tick ${t}`);
      assert.notEqual(leader.leaseReadIndex(), undefined, `lease at tick ${t}`);
    }
    assert.equal(beats, 0);
    assert.equal(leader.term, nt.node(2).node.raft.term, "no election");
  });

  it("heartbeats in the first round without appends, which tells followers the last commit", () => {
    const nt = cluster(true);
    nt.propose(1, "x");
    nt.tick(1, [1]); // appends were sent in this round: no heartbeat
    const index = committed(nt, 1);
    for (const id of [2, 3]) assert.ok(committed(nt, id) < index, `node ${id} not told yet`);
    const beats = sentDuring(nt, ["MsgHeartbeat"], () => nt.tick(1, [1]));
    assert.deepEqual(beats.map((m) => m.to).sort(), [2, 3]);
    for (const id of [2, 3]) assert.equal(committed(nt, id), index, `node ${id} after a heartbeat`);
  });

  it("still sends the heartbeats that confirm a read", () => {
    const nt = cluster(true);
    const beats = sentDuring(nt, ["MsgHeartbeat"], () => {
      nt.propose(1, "x");
      nt.raw(1).readIndex(bytes("r"), { mode: "safe" });
    });
    assert.deepEqual(beats.map((m) => m.to).sort(), [2, 3]);
    assert.deepEqual(
      nt.node(1).readStates.map((rs) => rs.index),
      [committed(nt, 1)],
    );
  });

  it("heartbeats a follower whose window of unanswered appends is full", () => {
    const nt = cluster(true, 2);
    nt.isolate(3);
    const beats = sentDuring(nt, ["MsgHeartbeat"], () => {
      for (let t = 0; t < 3; t++) {
        nt.propose(1, `w${t}`);
        nt.tick(1, [1]);
      }
    });
    // Node 3 answers nothing: once two appends are in flight it is paused, and a
    // heartbeat (whose answer would unpause it) goes to it each round; node 2
    // answers every append and gets none.
    assert.deepEqual(
      beats.map((m) => m.to),
      [3, 3],
    );
  });

  it("off (the default): every round heartbeats every follower", () => {
    const nt = cluster(false);
    const beats = sentDuring(nt, ["MsgHeartbeat"], () => {
      for (let t = 0; t < 3; t++) {
        nt.propose(1, `w${t}`);
        nt.tick(1, [1]);
      }
    });
    assert.equal(beats.length, 6);
  });
});
