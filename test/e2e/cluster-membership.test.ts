/**
 * Membership changes with real processes:
 * - a node that joins after 10 000 keys were written receives them (by
 *   snapshot) and serves them at consistency `any` once it has caught up;
 * - a removed node no longer counts for quorum: remove one of three, writes
 *   work on two voters, and keep working after the removed node's process is
 *   gone (it stops by itself once it learns it was removed); restarting it
 *   on its data directory is refused with a clear message;
 * - the node leading the meta range (and the data range) can be removed: it
 *   hands their leadership over first;
 * - a spare node (no replicas) serves reads and writes by forwarding;
 * - a decommissioned node's replicas move to a spare node first.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  clusterStatus,
  restart,
  startCluster,
  startJoiner,
  waitFor,
  waitReplicated,
  withClient,
} from "../support/cluster.js";
import { runTessera, stopAll } from "../support/process.js";

after(stopAll);

const KEYS = 10_000;
const BATCH = 500;

describe("cluster membership", () => {
  it("gives a joining node the existing data by snapshot", async () => {
    const cluster = await startCluster(1);
    await withClient(cluster.nodes[0]!, async (c) => {
      for (let i = 0; i < KEYS; i += BATCH) {
        const pairs: string[] = [];
        for (let j = i; j < i + BATCH; j++) pairs.push(`key:${j}`, `value:${j}`);
        await c.mset(...pairs);
      }
    });
    cluster.nodes.push(await startJoiner(cluster));
    cluster.nodes.push(await startJoiner(cluster));
    await waitReplicated(cluster.nodes[0]!, 3);
    const joiner = cluster.nodes[2]!;
    await withClient(joiner, async (c) => {
      await c.call("CLIENT", "CONSISTENCY", "any");
      await waitFor(
        "the joiner to hold every key",
        async () => ((await c.dbsize()) === KEYS ? true : undefined),
        30_000,
      );
      const keys = Array.from({ length: KEYS }, (_, i) => `key:${i}`);
      for (let i = 0; i < KEYS; i += 1_000) {
        const got = await c.mget(...keys.slice(i, i + 1_000));
        for (const [j, v] of got.entries()) assert.equal(v, `value:${i + j}`);
      }
    });
    await stopAll();
  });

  it("stops counting a removed node for quorum and refuses it when it comes back", async () => {
    const cluster = await startCluster(3);
    const [n1, n2, n3] = cluster.nodes;
    const r = await runTessera(["node", "remove", "3", "-p", String(n2!.respPort)], {
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /node 3 removed/);
    const s = await clusterStatus(n1!);
    for (const range of s.ranges)
      assert.deepEqual([...range.voters].sort(), [1, 2], `range ${range.rangeId}`);
    assert.equal(s.nodes.find((n) => n.id === 3)?.state, "removed");
    await withClient(n1!, async (c) => assert.equal(await c.set("two-voters", "yes"), "OK"));

    // The removed node learns it and stops on its own; writes go on without it.
    const exit = await Promise.race([
      n3!.waitExit(),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000)),
    ]);
    if (exit === undefined) n3!.kill("SIGKILL");
    else assert.match(n3!.output(), /was removed from cluster/);
    await n3!.waitExit();
    await withClient(n2!, async (c) => {
      assert.equal(await c.set("after-removal", "still"), "OK");
      assert.equal(await c.get("two-voters"), "yes");
    });

    // Its id is never reused: its data directory cannot bring it back.
    await assert.rejects(
      restart(cluster, n3!, { readyTimeoutMs: 20_000 }),
      /was removed from cluster/,
    );
    await withClient(n1!, async (c) => assert.equal(await c.get("after-removal"), "still"));
    await stopAll();
  });

  it("removes the node that leads the ranges after handing their leadership over", async () => {
    const cluster = await startCluster(3);
    const before = await clusterStatus(cluster.nodes[1]!);
    const leader = before.metaLeader;
    const via = cluster.nodes.find((n) => n.nodeId !== leader)!;
    const r = await runTessera(["node", "remove", String(leader), "-p", String(via.respPort)], {
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const s = await clusterStatus(via);
    assert.notEqual(s.metaLeader, leader);
    for (const range of s.ranges) {
      assert.ok(!range.voters.includes(leader), `range ${range.rangeId} still has node ${leader}`);
      assert.equal(range.voters.length, 2);
    }
    await withClient(via, async (c) => assert.equal(await c.set("after", "leader removal"), "OK"));
    await stopAll();
  });

  it("moves a decommissioned node's replicas to the other nodes first", async () => {
    const cluster = await startCluster(3);
    // A fourth node takes some replicas over as it joins (rebalancing), then
    // takes the rest when node 2 is decommissioned.
    const spare = await startJoiner(cluster);
    assert.equal(spare.nodeId, 4);
    await withClient(cluster.nodes[0]!, async (c) =>
      assert.equal(await c.set("moving", "along"), "OK"),
    );
    // A spare serves every command too: it forwards to the leaders it learns of.
    await withClient(spare, async (c) => {
      assert.equal(await c.set("via-spare", "ok"), "OK");
      assert.equal(await c.get("moving"), "along");
    });
    const r = await runTessera(
      ["node", "decommission", "2", "-p", String(cluster.nodes[0]!.respPort)],
      {
        timeoutMs: 60_000,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const s = await waitReplicated(cluster.nodes[0]!, 3);
    for (const range of s.ranges)
      assert.deepEqual([...range.voters].sort(), [1, 3, 4], `range ${range.rangeId}`);
    await withClient(spare, async (c) => {
      await c.call("CLIENT", "CONSISTENCY", "any");
      await waitFor(
        "the spare to hold the data",
        async () => ((await c.get("moving")) === "along" ? true : undefined),
        10_000,
      );
    });
    await stopAll();
  });
});
