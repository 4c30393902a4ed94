/**
 * Replication across nodes, in one process: three (then four) StoreHosts over
 * real TcpBus instances on loopback, each with its own LMDB store. The script:
 * bootstrap on node 1, add nodes 2 and 3 (learner → snapshot → voter), write
 * and read at every level from every node, partition a follower, add and
 * remove a fourth node, and finally stop the leader and keep writing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isTesseraError, keyHashSlot, nodeId } from "../lib/index.js";
import { SYSTEM_RANGE_ID, USER_RANGE_ID } from "./routing.js";
import { BusCluster, b, eventually, get, KS, set, text } from "./testing/bus-cluster.js";

const cluster = new BusCluster();
const RANGES = [SYSTEM_RANGE_ID, USER_RANGE_ID];

before(async () => {
  await cluster.bootstrapped(1, 2, 3);
});
after(() => cluster.close());

describe("replicated ranges over the bus", () => {
  it("adds two voters through learner, snapshot and promotion", async () => {
    const n1 = cluster.node(1);
    await n1.host.service.write(set("before-join", "1"));
    for (const r of RANGES) {
      await n1.host.changeReplicas(r, [
        { type: "add-voter", nodeId: nodeId(2) },
        { type: "add-voter", nodeId: nodeId(3) },
      ]);
      const info = n1.host.rangeInfo(r)!;
      assert.deepEqual([...info.voters].sort(), [1, 2, 3]);
      assert.deepEqual(info.votersOutgoing, []);
    }
    // The snapshot carried the write made before the nodes joined.
    for (const id of [2, 3]) {
      await eventually(`node ${id} has the early write`, async () => {
        return text(await cluster.node(id).host.service.read(get("before-join"), "any")) === "1";
      });
      assert.deepEqual(cluster.node(id).host.rangeIds(), RANGES);
    }
  });

  it("replicates writes to every node", async () => {
    for (let i = 0; i < 20; i++) await cluster.node(1).host.service.write(set(`k${i}`, `v${i}`));
    for (const id of [2, 3]) {
      await eventually(`node ${id} applied the writes`, async () => {
        const r = await cluster.node(id).host.service.read(get("k19"), "any");
        return text(r) === "v19";
      });
    }
  });

  it("proposes a burst of writes together: one append per follower, not one per write", async () => {
    const leader = await cluster.leaderOf(USER_RANGE_ID);
    const before = leader.host.stats().raftMessagesSentTotal;
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => leader.host.service.write(set(`burst${i}`, `${i}`))),
    );
    const sent = leader.host.stats().raftMessagesSentTotal - before;
    // A proposal per write sent each follower an append per write (200 messages).
    assert.ok(sent < 30, `${sent} Raft messages for 100 writes`);
    // They took consecutive indexes, in the order they were made.
    const indexes = results.map((r) => r.index);
    for (let i = 1; i < indexes.length; i++) assert.equal(indexes[i], indexes[0]! + i);
    assert.equal(text(await leader.host.service.read(get("burst99"), "strong")), "99");
  });

  it("answers strong reads on the leader from its lease, without a Raft round each", async () => {
    const leader = await cluster.leaderOf(USER_RANGE_ID);
    // Warm: the lease holds once the leader heard from its followers.
    await leader.host.service.read(get("k19"), "strong");
    const before = leader.host.stats().readiesTotal;
    for (let i = 0; i < 50; i++) {
      assert.equal(text(await leader.host.service.read(get("k19"), "strong")), "v19");
    }
    // Heartbeats may make a few Readies meanwhile; a read point per read would make 50.
    const readies = leader.host.stats().readiesTotal - before;
    assert.ok(readies < 20, `${readies} Readies for 50 reads`);
  });

  it("forwards writes and linearizable reads from a follower to the leader", async () => {
    const leader = await cluster.leaderOf(USER_RANGE_ID);
    const follower = [...cluster.nodes.values()].find((n) => n !== leader)!;
    const res = await follower.host.service.write(set("fwd", "yes"));
    assert.equal(res.reply.t, "ok");
    assert.ok(res.index > 0);
    for (const level of ["strong", "quorum", "all"] as const) {
      assert.equal(text(await follower.host.service.read(get("fwd"), level)), "yes", level);
    }
    const acked = await follower.host.service.waitForReplicas(res.index, 2, 2000);
    assert.equal(acked, 2);
    const status = follower.host.service.status();
    assert.equal(status.leaderId, leader.id);
    assert.equal(status.role, "follower");
  });

  it("answers a cluster client's write on a follower with MOVED, proposing nothing", async () => {
    const leader = await cluster.leaderOf(USER_RANGE_ID);
    const follower = [...cluster.nodes.values()].find((n) => n !== leader)!;
    const respOf = (id: number) => `127.0.0.1:${7000 + id}`;
    follower.host.setPeerDirectory((id) => (id === leader.id ? respOf(id) : ""));
    try {
      const before = leader.host.rangeInfo(USER_RANGE_ID)!.lastIndex;
      await assert.rejects(
        follower.host.service.write(set("moved", "no"), { redirect: true }),
        (e: unknown) =>
          isTesseraError(e, "MOVED") &&
          e.details?.address === respOf(leader.id) &&
          e.details?.slot === keyHashSlot(new TextEncoder().encode("moved")),
      );
      // Its address unknown: TRYAGAIN (a retry is safe), never a forward.
      follower.host.setPeerDirectory(() => "");
      await assert.rejects(
        follower.host.service.write(set("moved", "no"), { redirect: true }),
        (e: unknown) => isTesseraError(e, "TRY_AGAIN"),
      );
      assert.equal(leader.host.rangeInfo(USER_RANGE_ID)!.lastIndex, before, "nothing proposed");
      assert.equal(text(await leader.host.service.read(get("moved"), "strong")), "nil");
      // On the leader it is proposed there, as any write.
      const res = await leader.host.service.write(set("moved", "yes"), { redirect: true });
      assert.equal(res.reply.t, "ok");
    } finally {
      follower.host.setPeerDirectory(() => "");
    }
  });

  it("serves only `any` reads on a partitioned follower", async () => {
    const leader = await cluster.leaderOf(USER_RANGE_ID);
    const follower = [...cluster.nodes.values()].find((n) => n !== leader)!;
    await follower.host.service.write(set("p", "before"));
    await eventually("follower applied", async () => {
      return text(await follower.host.service.read(get("p"), "any")) === "before";
    });
    const others = [...cluster.nodes.values()].filter((n) => n !== follower).map((n) => n.id);
    follower.bus.faults.partition(others);
    try {
      await assert.rejects(
        follower.host.service.write(set("p", "during")),
        (e) => isTesseraError(e) && (e.code === "UNAVAILABLE" || e.code === "TIMEOUT"),
      );
      await assert.rejects(
        follower.host.service.read(get("p"), "strong"),
        (e) => isTesseraError(e) && (e.code === "UNAVAILABLE" || e.code === "TIMEOUT"),
      );
      assert.equal(text(await follower.host.service.read(get("p"), "any")), "before");
      // The majority side goes on.
      await leader.host.service.write(set("q", "majority"));
    } finally {
      follower.bus.faults.heal();
    }
    await eventually("the healed follower catches up", async () => {
      return text(await follower.host.service.read(get("q"), "any")) === "majority";
    });
  });

  it("adds a fourth node as a learner, snapshots it, promotes it, then removes it", async () => {
    const n4 = await cluster.add(4);
    const n1 = cluster.node(1);
    await n1.host.changeReplicas(USER_RANGE_ID, [{ type: "add-learner", nodeId: n4.id }]);
    await eventually("the learner has the data", async () => {
      return text(await n4.host.service.read(get("k7"), "any")) === "v7";
    });
    assert.equal(n4.host.rangeInfo(USER_RANGE_ID)?.role, "learner");
    await n1.host.changeReplicas(USER_RANGE_ID, [{ type: "add-voter", nodeId: n4.id }]);
    assert.ok(n1.host.rangeInfo(USER_RANGE_ID)!.voters.includes(n4.id));
    await n4.host.service.write(set("from4", "ok"));
    await n1.host.changeReplicas(USER_RANGE_ID, [{ type: "remove", nodeId: n4.id }]);
    await eventually(
      "node 4 dropped its replica",
      () => n4.host.rangeInfo(USER_RANGE_ID) === undefined,
    );
    // Its copy of the range's data went with it.
    assert.deepEqual(
      n4.host.service.keyspaceStats().filter((s) => s.keys > 0),
      [],
    );
    const leader = await cluster.leaderOf(USER_RANGE_ID);
    assert.ok(!leader.host.rangeInfo(USER_RANGE_ID)!.voters.includes(n4.id));
    await leader.host.service.write(set("after-removal", "ok"));
    await cluster.stop(4);
  });

  it("truncates the log past a cut-off follower and catches it up with a snapshot", async () => {
    const leader = await cluster.leaderOf(USER_RANGE_ID);
    const lagging = [...cluster.nodes.values()].find((n) => !n.stopped && n !== leader)!;
    lagging.bus.faults.partition(
      [...cluster.nodes.keys()].filter((id) => id !== lagging.id).map((id) => nodeId(id)),
    );
    try {
      // logEntriesKeep is 50: 150 entries let the leader truncate past the follower.
      for (let i = 0; i < 150; i++) await leader.host.service.write(set(`t${i}`, `${i}`));
      await eventually("the leader truncated its log", () => {
        const info = leader.host.rangeInfo(USER_RANGE_ID)!;
        const pr = info.progress.find((p) => p.nodeId === lagging.id)!;
        return leader.store.logStorage(USER_RANGE_ID).firstIndex() > pr.match + 1;
      });
    } finally {
      lagging.bus.faults.heal();
    }
    await eventually("the follower caught up through a snapshot", async () => {
      return text(await lagging.host.service.read(get("t149"), "any")) === "149";
    });
  });

  it("retries at the new leader a write its deposed leader never committed, applying it once", async () => {
    const incr = { op: "incrby" as const, ks: KS, key: b("stranded"), delta: 1n };
    const old = await cluster.leaderOf(USER_RANGE_ID);
    assert.deepEqual((await old.host.service.write(incr)).reply, { t: "int", v: 1n });
    const others = [...cluster.nodes.values()].filter((n) => !n.stopped && n !== old);
    old.bus.faults.partition(others.map((n) => n.id));
    let healedAt = 0;
    // Proposed on the cut-off leader: its entry reaches no follower.
    const stranded = old.host.service.write(incr).then((res) => ({ res, at: performance.now() }));
    try {
      let next: (typeof others)[number] | undefined;
      await eventually("the majority elects a leader", () => {
        next = others.find((n) => n.host.rangeInfo(USER_RANGE_ID)?.role === "leader");
        return next !== undefined;
      });
      // Its entries take the index of the stranded one.
      for (let i = 0; i < 3; i++) await next!.host.service.write(set(`majority-${i}`, "x"));
    } finally {
      old.bus.faults.heal();
      healedAt = performance.now();
    }
    // The old leader learns its entry was replaced as soon as it applies the
    // new leader's, and the write goes to the new leader instead of waiting
    // out proposalTimeoutMs (5 s here) and failing with an unknown outcome.
    const { res, at } = await stranded;
    assert.deepEqual(res.reply, { t: "int", v: 2n }, "applied once, at the new leader");
    assert.ok(at - healedAt < 2500, `resolved ${Math.round(at - healedAt)} ms after the heal`);
    for (const n of cluster.nodes.values()) {
      if (n.stopped) continue;
      await eventually(`node ${n.id} applied the retried write`, async () => {
        const r = await n.host.service.read({ op: "get", ks: KS, key: b("stranded") }, "any");
        return text(r) === "2";
      });
    }
  });

  it("retries elsewhere the writes a leader accepted just before it handed leadership over", async () => {
    const incr = { op: "incrby" as const, ks: KS, key: b("handover"), delta: 1n };
    const leader = await cluster.leaderOf(USER_RANGE_ID);
    const target = [...cluster.nodes.values()].find((n) => !n.stopped && n !== leader)!;
    // Accepted in this turn, proposed when the next round collects the range:
    // by then the transfer is under way and Raft refuses them (surely not applied).
    const writes = Array.from({ length: 20 }, () => leader.host.service.write(incr));
    const transfer = leader.host.transferLeader(USER_RANGE_ID, target.id);
    const replies = await Promise.all(writes);
    await transfer;
    const values = replies.map((r) => (r.reply as { v: bigint }).v).sort((x, y) => Number(x - y));
    assert.deepEqual(
      values,
      Array.from({ length: 20 }, (_, i) => BigInt(i + 1)),
      "each applied once",
    );
  });

  it("transfers leadership on request from any node", async () => {
    const leader = await cluster.leaderOf(USER_RANGE_ID);
    const target = [...cluster.nodes.values()].find((n) => !n.stopped && n !== leader)!;
    const asker = [...cluster.nodes.values()].find(
      (n) => !n.stopped && n !== leader && n !== target,
    )!;
    await asker.host.transferLeader(USER_RANGE_ID, target.id);
    assert.equal((await cluster.leaderOf(USER_RANGE_ID)).id, target.id);
    assert.equal((await asker.host.service.write(set("after-transfer", "ok"))).reply.t, "ok");
  });

  it("elects a new leader when the leader stops, and writes go on", async () => {
    const old = await cluster.leaderOf(USER_RANGE_ID);
    await cluster.stop(old.id);
    const next = await cluster.leaderOf(USER_RANGE_ID);
    assert.notEqual(next.id, old.id);
    const survivor = [...cluster.nodes.values()].find((n) => !n.stopped && n !== next)!;
    const res = await survivor.host.service.write(set("after-failover", "ok"));
    assert.equal(res.reply.t, "ok");
    assert.equal(text(await survivor.host.service.read(get("k3"), "strong")), "v3");
    assert.equal(text(await next.host.service.read(get("after-failover"), "quorum")), "ok");
  });
});
