/**
 * Range quiescence across nodes (quiesce.ts, quiesce-liveness.ts), in one
 * process: three StoreHosts over real TcpBus instances on loopback (tick 20
 * ms, election timeout 10 ticks). The script: ranges go to sleep once writes
 * stop and no Raft message of any range flows; a write wakes them and they
 * sleep again; a strong read on a sleeping leader is served; when the
 * leader's node falls silent (partitioned: no connection breaks, only node
 * liveness notices) the others elect a new leader within a few election
 * timeouts, and the old leader, waking, serves no stale read; finally the
 * leader's node stops and the survivors elect again.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isTesseraError, nodeId } from "../lib/index.js";
import { SYSTEM_RANGE_ID, USER_RANGE_ID } from "./routing.js";
import { BusCluster, eventually, get, set, type TestNode, text } from "./testing/bus-cluster.js";

const cluster = new BusCluster();
const RANGES = [SYSTEM_RANGE_ID, USER_RANGE_ID];
const ELECTION_TIMEOUT_MS = 10 * 20;

const live = () => [...cluster.nodes.values()].filter((n) => !n.stopped);
const sentTotal = (nodes: readonly TestNode[]) =>
  nodes.reduce((n, x) => n + x.host.stats().raftMessagesSentTotal, 0);
const allAsleep = (nodes: readonly TestNode[]) =>
  nodes.every((n) => {
    const s = n.host.stats();
    return s.rangesTotal === RANGES.length && s.rangesQuiesced === s.rangesTotal;
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  const n1 = await cluster.add(1);
  await cluster.add(2);
  await cluster.add(3);
  await n1.host.bootstrap(RANGES.map((rangeId) => ({ rangeId, voters: [n1.id] })));
  await cluster.leaderOf(USER_RANGE_ID);
  for (const r of RANGES) {
    await n1.host.changeReplicas(r, [
      { type: "add-voter", nodeId: nodeId(2) },
      { type: "add-voter", nodeId: nodeId(3) },
    ]);
  }
  await n1.host.service.write(set("k", "v1"));
});
after(() => cluster.close());

describe("range quiescence", () => {
  it("puts idle ranges to sleep on every node, after which no Raft message flows", async () => {
    // Background work (the meta table catching up with the last membership
    // change) may wake a range once more: wait for a quiet window.
    await eventually(
      "every range sleeps on every node for 5 election timeouts, with no Raft message sent",
      async () => {
        if (!allAsleep(live())) return false;
        const sent = sentTotal(live());
        const ticks = live().map((n) => n.host.stats().replicaTicksTotal);
        await sleep(5 * ELECTION_TIMEOUT_MS);
        const ticksNow = live().map((n) => n.host.stats().replicaTicksTotal);
        return (
          allAsleep(live()) &&
          sentTotal(live()) === sent &&
          ticksNow.every((t, i) => t === ticks[i])
        );
      },
    );
  });

  it("wakes a range for a write, replicates it, and puts it back to sleep", async () => {
    const leader = await cluster.leaderOf(USER_RANGE_ID);
    const before = sentTotal(live());
    assert.equal((await leader.host.service.write(set("k", "v2"))).reply.t, "ok");
    assert.ok(sentTotal(live()) > before, "the write was replicated");
    for (const n of live()) {
      await eventually(`node ${n.id} applied the write`, async () => {
        return text(await n.host.service.read(get("k"), "any")) === "v2";
      });
    }
    await eventually("the range sleeps again", () => allAsleep(live()));
  });

  it("serves linearizable reads from a sleeping range, from any node", async () => {
    await eventually("every range sleeps", () => allAsleep(live()));
    for (const n of live()) {
      assert.equal(text(await n.host.service.read(get("k"), "strong")), "v2", `strong on ${n.id}`);
      assert.equal(text(await n.host.service.read(get("k"), "quorum")), "v2", `quorum on ${n.id}`);
    }
  });

  it("elects a new leader within a few election timeouts when a sleeping leader's node falls silent", async () => {
    await eventually("every range sleeps", () => allAsleep(live()));
    const old = await cluster.leaderOf(USER_RANGE_ID);
    const others = live().filter((n) => n !== old);
    // Frames are dropped but no connection breaks: only node liveness notices.
    old.bus.faults.partition(others.map((n) => n.id));
    const startMs = Date.now();
    try {
      await eventually(
        "a new leader on the majority side",
        () => others.some((n) => n.host.rangeInfo(USER_RANGE_ID)?.role === "leader"),
        10 * ELECTION_TIMEOUT_MS,
      );
      const electedMs = Date.now() - startMs;
      assert.ok(electedMs < 6 * ELECTION_TIMEOUT_MS, `elected after ${electedMs} ms`);
      const next = others.find((n) => n.host.rangeInfo(USER_RANGE_ID)?.role === "leader")!;
      assert.equal((await next.host.service.write(set("k", "v3"))).reply.t, "ok");
      // The old leader slept through all of it; woken by a read, it must not
      // answer from its lease (it has not heard from a quorum since it woke).
      await assert.rejects(
        old.host.service.read(get("k"), "strong"),
        (e) => isTesseraError(e) && (e.code === "UNAVAILABLE" || e.code === "TIMEOUT"),
      );
    } finally {
      old.bus.faults.heal();
    }
    await eventually("the old leader caught up", async () => {
      return text(await old.host.service.read(get("k"), "any")) === "v3";
    });
  });

  it("elects a new leader when a sleeping leader's node stops, and writes go on", async () => {
    await eventually("every range sleeps", () => allAsleep(live()));
    const old = await cluster.leaderOf(USER_RANGE_ID);
    await cluster.stop(old.id);
    const startMs = Date.now();
    const next = await cluster.leaderOf(USER_RANGE_ID, 10 * ELECTION_TIMEOUT_MS);
    assert.notEqual(next.id, old.id);
    const electedMs = Date.now() - startMs;
    assert.ok(electedMs < 6 * ELECTION_TIMEOUT_MS, `elected after ${electedMs} ms`);
    const survivor = live().find((n) => n !== next)!;
    assert.equal((await survivor.host.service.write(set("k", "v4"))).reply.t, "ok");
    assert.equal(text(await survivor.host.service.read(get("k"), "strong")), "v4");
  });
});
