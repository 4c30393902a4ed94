/**
 * A leader whose store commit stalls keeps its leadership. A scheduler round
 * waits for its commit before the next one collects Raft's messages, so
 * without more the heartbeats ticked meanwhile would wait with it: a disk
 * that stalls for longer than the election timeout (or a node starved of
 * CPU) would have the followers elect a new leader while the old one is
 * merely slow. The scheduler therefore sends heartbeats and heartbeat
 * responses at each tick while a round waits for its commit
 * (`Replica.takeHeartbeats`).
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { nodeId } from "../lib/index.js";
import type { StoreBatch } from "../storage/index.js";
import { SYSTEM_RANGE_ID, USER_RANGE_ID } from "./routing.js";
import { BusCluster, eventually, get, set, text } from "./testing/bus-cluster.js";

/** 50 ms ticks, election timeout 0.5–1 s (a server's timing). */
const TIMING = { tickMs: 50, electionTick: 10, heartbeatTick: 1 };
/** Three times the longest election timeout. */
const STALL_MS = 3_000;

const cluster = new BusCluster({}, 1000, { raftTiming: TIMING });
after(() => cluster.close());

describe("a store commit that stalls on the leader", () => {
  it("elects no new leader while it lasts, and the write then completes", async () => {
    const [first] = await cluster.bootstrapped(1, 2, 3);
    for (const r of [SYSTEM_RANGE_ID, USER_RANGE_ID]) {
      await first!.host.changeReplicas(r, [
        { type: "add-voter", nodeId: nodeId(2) },
        { type: "add-voter", nodeId: nodeId(3) },
      ]);
    }
    await first!.host.service.write(set("k", "before"));
    const leader = await cluster.leaderOf(USER_RANGE_ID);
    const before = leader.host.rangeInfo(USER_RANGE_ID)!;
    const followers = [...cluster.nodes.values()].filter((n) => n !== leader);
    await eventually("the followers to know the leader", () =>
      followers.every((n) => n.host.rangeInfo(USER_RANGE_ID)?.leaderId === leader.id),
    );

    // The leader's next commit takes STALL_MS (its event loop stays free, as
    // when LMDB's write thread waits for a slow fsync).
    const store = leader.store as unknown as { commit(b: StoreBatch): Promise<void> };
    const commit = store.commit.bind(store);
    let stalled = 0;
    store.commit = async (b: StoreBatch) => {
      if (stalled++ === 0) await new Promise((r) => setTimeout(r, STALL_MS));
      return commit(b);
    };
    const started = Date.now();
    const write = leader.host.service.write(set("k", "during"));
    // Watch the followers for the whole stall: none may move to a new term.
    const terms: number[] = [];
    while (Date.now() - started < STALL_MS) {
      for (const n of followers) terms.push(n.host.rangeInfo(USER_RANGE_ID)!.term);
      await new Promise((r) => setTimeout(r, 50));
    }
    await write;
    assert.ok(stalled > 0 && Date.now() - started >= STALL_MS, "the commit did not stall");
    assert.deepEqual(new Set(terms), new Set([before.term]), "a follower started an election");
    const after = leader.host.rangeInfo(USER_RANGE_ID)!;
    assert.equal(after.role, "leader");
    assert.equal(after.term, before.term);
    assert.equal(text(await leader.host.service.read(get("k"), "strong")), "during");
  });
});
