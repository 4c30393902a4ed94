/**
 * Flow control beyond the paper (etcd-io/raft tracker): a follower in probe
 * state gets one append per heartbeat; in replicate state appends stream until
 * the inflight window (count or bytes) is full and resume as acks free it;
 * appends are cut at maxSizePerMsg; and a leader bounds its uncommitted tail.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { logIndex, nodeId, term } from "../lib/index.js";
import type { NodeConfig } from "./testing/network.js";
import { Network } from "./testing/network.js";
import {
  commitNoopEntry,
  newTestRaft,
  newTestStorage,
  propose,
  readMessages,
} from "./testing/raft-harness.js";
import type { Message } from "./types.js";

function leaderWith(config: NodeConfig) {
  const s = newTestStorage({ peers: [1, 2] });
  const r = newTestRaft(1, s, config);
  r.becomeCandidate();
  r.becomeLeader();
  commitNoopEntry(r, s);
  return r;
}

const apps = (msgs: Message[]) => msgs.filter((m) => m.type === "MsgApp" && m.to === 2);
const ack = (index: number): Message => ({
  type: "MsgAppResp",
  from: nodeId(2),
  to: nodeId(1),
  term: term(1),
  index: logIndex(index),
  reject: false,
  rejectHint: logIndex(0),
  logTerm: term(0),
});

describe("flow control", () => {
  it("in replicate state, stops at maxInflightMsgs and resumes as acks arrive", () => {
    const r = leaderWith({ maxInflightMsgs: 3 });
    const pr = r.trk.progress.get(nodeId(2))!;
    assert.equal(pr.state, "replicate");
    for (let i = 0; i < 5; i++) propose(r, `p${i}`);
    const sent = apps(readMessages(r));
    assert.equal(sent.length, 3);
    assert.ok(pr.isPaused());
    // Acking the first append frees one slot, and the rest goes out in one message.
    const first = sent[0]!;
    assert.equal(first.type, "MsgApp");
    if (first.type === "MsgApp") r.step(ack(first.index + first.entries.length));
    const more = apps(readMessages(r));
    assert.equal(more.length, 1);
    assert.equal(more[0]!.type === "MsgApp" && more[0]!.entries.length, 2);
  });

  it("in replicate state, stops when maxInflightBytes are in flight", () => {
    const r = leaderWith({ maxInflightMsgs: 100, maxSizePerMsg: 10, maxInflightBytes: 20 });
    for (let i = 0; i < 5; i++) propose(r, "0123456789");
    assert.equal(apps(readMessages(r)).length, 2);
    const pr = r.trk.progress.get(nodeId(2))!;
    assert.equal(pr.inflights.bytes, 20);
    assert.ok(pr.isPaused());
  });

  it("in probe state, sends one append and waits for an answer or a heartbeat", () => {
    const r = leaderWith({});
    const pr = r.trk.progress.get(nodeId(2))!;
    pr.becomeProbe();
    propose(r, "a");
    propose(r, "b");
    assert.equal(apps(readMessages(r)).length, 1);
    assert.ok(pr.isPaused());
    r.step({ type: "MsgHeartbeatResp", from: nodeId(2), to: nodeId(1), term: term(1) });
    assert.equal(apps(readMessages(r)).length, 1);
  });

  it("cuts appends at maxSizePerMsg but always sends at least one entry", () => {
    const r = leaderWith({ maxSizePerMsg: 1 });
    const pr = r.trk.progress.get(nodeId(2))!;
    pr.becomeProbe();
    propose(r, "large entry");
    const [m] = apps(readMessages(r));
    assert.ok(m && m.type === "MsgApp");
    assert.equal(m.entries.length, 1);
  });

  it("an unreachable follower in replicate state goes back to probing", () => {
    const r = leaderWith({});
    const pr = r.trk.progress.get(nodeId(2))!;
    r.step({ type: "MsgUnreachable", from: nodeId(2), to: nodeId(1), term: term(0) });
    assert.equal(pr.state, "probe");
  });

  it("a stale rejection does not move a replicating follower back", () => {
    const r = leaderWith({});
    const pr = r.trk.progress.get(nodeId(2))!;
    const match = pr.match;
    r.step({ ...ack(match), reject: true, rejectHint: logIndex(0) } as Message);
    assert.equal(pr.state, "replicate");
    assert.equal(pr.match, match);
  });

  it("ignores a stale append response without regressing match", () => {
    const r = leaderWith({});
    propose(r, "a");
    readMessages(r);
    r.step(ack(2));
    const pr = r.trk.progress.get(nodeId(2))!;
    assert.equal(pr.match, 2);
    r.step(ack(1));
    assert.equal(pr.match, 2);
  });
});

describe("bounded uncommitted log (maxUncommittedEntriesSize)", () => {
  it("a partitioned leader refuses proposals beyond the limit and accepts again once they commit", () => {
    const nt = new Network({ ids: [1, 2, 3], config: { maxUncommittedEntriesSize: 10 } });
    nt.campaign(1);
    nt.isolate(1);
    const outcomes: (string | undefined)[] = [];
    for (let i = 0; i < 10; i++) outcomes.push(nt.propose(1, "abcd"));
    assert.deepEqual(outcomes.slice(0, 2), [undefined, undefined]);
    assert.ok(outcomes.slice(2).every((o) => o === "LIMIT_EXCEEDED"));
    assert.ok(nt.raw(1).uncommittedSize() <= 10);
    const lastIndex = nt.node(1).node.raft.raftLog.lastIndex();
    assert.equal(lastIndex, 3);
    nt.recover();
    nt.tick(1, [1]);
    assert.equal(nt.raw(1).uncommittedSize(), 0);
    assert.equal(nt.propose(1, "abcd"), undefined);
    assert.deepEqual(nt.node(2).state, ["abcd", "abcd", "abcd"]);
  });

  it("always accepts one entry into an empty uncommitted tail, however large", () => {
    const nt = new Network({ ids: [1, 2, 3], config: { maxUncommittedEntriesSize: 2 } });
    nt.campaign(1);
    assert.equal(nt.propose(1, "larger than the limit"), undefined);
  });
});
