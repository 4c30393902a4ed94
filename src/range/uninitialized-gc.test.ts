/**
 * A leader's message makes a replica that holds nothing until its snapshot
 * comes (StoreHost.replicaFor). A leader that has not yet applied this node's
 * removal still sends such messages after the replica they were meant for
 * was destroyed; the replica they make waits for a snapshot that never
 * comes. Here: a heartbeat naming a commit index makes none at all; one made
 * by an append is let go once it has heard nothing for `uninitializedIdleMs`,
 * and the Raft state it reached stays in the store for a replica made anew.
 * One whose leader keeps in touch is kept.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { logIndex, nodeId, type RangeId, rangeId, term } from "../lib/index.js";
import type { Message } from "../raft/types.js";
import { BusCluster, eventually, type TestNode } from "./testing/bus-cluster.js";

const IDLE_MS = 600;
const cluster = new BusCluster({}, 1000, { uninitializedIdleMs: IDLE_MS });
after(() => cluster.close());

const append = (t: number): Message => ({
  type: "MsgApp",
  from: nodeId(1),
  to: nodeId(2),
  term: term(t),
  logTerm: term(t),
  index: logIndex(40),
  entries: [],
  commit: logIndex(0),
});

const heartbeat = (t: number, commit: number): Message => ({
  type: "MsgHeartbeat",
  from: nodeId(1),
  to: nodeId(2),
  term: term(t),
  commit: logIndex(commit),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const holds = (n: TestNode, id: RangeId) => n.host.uninitializedRangeIds().includes(id);

describe("replicas that hold nothing yet", () => {
  it("are not made by a heartbeat naming a commit index, and are let go once idle", async () => {
    const [n1, n2] = (await cluster.bootstrapped(1, 2)) as [TestNode, TestNode];
    // A range neither node holds, addressed by node 1 as a leader would.
    const stray = rangeId(977);

    // Meant for a replica holding the log up to index 30, since destroyed.
    n1.bus.sendRaft(n2.id, stray, [heartbeat(7, 30)]);
    await sleep(300);
    assert.equal(holds(n2, stray), false, "a stale heartbeat made a replica");
    assert.equal(n2.store.storedHardState(stray), undefined);

    // An append makes one; it takes the append's term, which is stored.
    n1.bus.sendRaft(n2.id, stray, [append(9)]);
    await eventually("the append made a replica", () => holds(n2, stray));
    assert.equal(n2.host.stats().rangesUninitialized, 1);
    await eventually("term 9 is stored", () => n2.store.storedHardState(stray)?.term === 9);

    // Nothing more comes: it is let go, and its Raft state stays.
    const droppedBefore = n2.host.stats().uninitializedDroppedTotal;
    await eventually("the idle replica was let go", () => !holds(n2, stray), 10_000);
    assert.equal(n2.host.stats().uninitializedDroppedTotal, droppedBefore + 1);
    assert.equal(n2.host.stats().rangesUninitialized, 0);
    assert.equal(n2.store.storedHardState(stray)?.term, 9);

    // A leader's next message makes it anew, from the term it had reached:
    // a vote it cast in that term would still hold.
    n1.bus.sendRaft(n2.id, stray, [heartbeat(8, 0)]);
    await eventually("a heartbeat made the replica anew", () => holds(n2, stray));
    // (Its term came from the store: the heartbeat's older term 8 is ignored.)
    assert.equal(n2.host.rangeInfo(stray)?.term, 9);
    assert.equal(n2.store.storedHardState(stray)?.term, 9);
  });

  it("are kept while their leader keeps in touch", async () => {
    const n1 = cluster.node(1);
    const n2 = cluster.node(2);
    const pending = rangeId(978);
    n1.bus.sendRaft(n2.id, pending, [heartbeat(3, 0)]);
    await eventually("a heartbeat made the replica", () => holds(n2, pending));
    const until = Date.now() + IDLE_MS * 3;
    while (Date.now() < until) {
      n1.bus.sendRaft(n2.id, pending, [heartbeat(3, 0)]);
      await sleep(IDLE_MS / 4);
      assert.ok(holds(n2, pending), "let go while its leader kept in touch");
    }
  });
});
