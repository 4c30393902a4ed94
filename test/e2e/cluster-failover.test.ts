/**
 * Failover and durability of a three-node cluster of real processes.
 *
 * Writers send SETs with unique values through the nodes that stay up and
 * record every acknowledged one. The leader of the data range (range 2) is
 * killed with SIGKILL under that load: a new leader must take writes within
 * 2 s (election timeout 500–1000 ms, PreVote and CheckQuorum on); the outage
 * is measured as the time from the kill to the first acknowledged write
 * issued after it. Then a follower is killed; writes go on. Finally the whole
 * cluster is killed and restarted on its data directories: every
 * acknowledged write, from every phase, must be there.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Redis } from "ioredis";
import {
  type Cluster,
  client,
  clusterStatus,
  leaderOf,
  restart,
  startCluster,
  waitFor,
  waitReplicated,
} from "../support/cluster.js";
import { type NodeProcess, stopAll } from "../support/process.js";

after(stopAll);

const FAILOVER_MS_MAX = 2_000;
const WRITERS = 4;

/** key → last acknowledged value. Values are unique, so a later ack supersedes. */
const acked = new Map<string, string>();

interface Load {
  stop(): Promise<number>;
}

/** WRITERS clients writing through `nodes` round-robin until stopped; returns acks. */
function startLoad(nodes: readonly NodeProcess[], tag: string): Load {
  let running = true;
  let count = 0;
  const writer = async (w: number) => {
    let c: Redis | undefined;
    for (let i = 0; running; i++) {
      const node = nodes[(w + i) % nodes.length]!;
      try {
        c ??= client(node);
        if (c.status === "wait") await c.connect();
        const key = `${tag}:w${w}:k${i % 50}`;
        const value = `${tag}-w${w}-i${i}`;
        await c.set(key, value);
        acked.set(key, value);
        count++;
      } catch {
        c?.disconnect();
        c = undefined;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    c?.disconnect();
  };
  const all = Array.from({ length: WRITERS }, (_, w) => writer(w));
  return {
    stop: async () => {
      running = false;
      await Promise.all(all);
      return count;
    },
  };
}

/** Ms from now until a write through one of `nodes` is acknowledged. */
async function timeToWrite(nodes: readonly NodeProcess[], t0: number): Promise<number> {
  for (let i = 0; ; i++) {
    const c = client(nodes[i % nodes.length]!);
    try {
      await c.connect();
      await c.set("probe", String(i));
      return performance.now() - t0;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    } finally {
      c.disconnect();
    }
    if (performance.now() - t0 > 20_000) throw new Error("no write succeeded within 20 s");
  }
}

async function verifyAll(node: NodeProcess): Promise<void> {
  const c = client(node);
  await c.connect();
  const keys = [...acked.keys()];
  for (let i = 0; i < keys.length; i += 200) {
    const batch = keys.slice(i, i + 200);
    const got = await c.mget(...batch);
    batch.forEach((k, j) => {
      const want = acked.get(k)!;
      const have = got[j];
      assert.ok(have !== null, `${k}: acknowledged ${want} but the key is gone`);
      // The last acked value, or a later one whose ack was cut off by a kill.
      if (have !== want) {
        const [, wantI] = /-i(\d+)$/.exec(want)!;
        const [, haveI] = /-i(\d+)$/.exec(have!) ?? [];
        assert.ok(
          haveI !== undefined && Number(haveI) > Number(wantI),
          `${k}: holds ${have}, older than acked ${want}`,
        );
      }
    });
  }
  c.disconnect();
}

describe("failover of a three-node cluster", () => {
  let cluster: Cluster;

  it("elects a new leader within 2 s after the data range's leader is killed under load", async () => {
    cluster = await startCluster(3);
    const leader = await leaderOf(cluster, 2);
    const survivors = cluster.nodes.filter((n) => n !== leader);
    const load = startLoad(survivors, "a");
    await new Promise((r) => setTimeout(r, 1_000));
    const t0 = performance.now();
    leader.kill("SIGKILL");
    const outageMs = await timeToWrite(survivors, t0);
    await new Promise((r) => setTimeout(r, 500));
    const writes = await load.stop();
    console.log(
      `# failover after leader kill: writes again after ${Math.round(outageMs)} ms (${writes} acked)`,
    );
    assert.ok(writes > 0);
    assert.ok(outageMs <= FAILOVER_MS_MAX, `writes resumed after ${Math.round(outageMs)} ms`);
    const i = cluster.nodes.indexOf(leader);
    await leader.waitExit();
    const back = await restart(cluster, leader);
    cluster.nodes[i] = back;
    assert.equal(back.nodeId, leader.nodeId, "a restarted node keeps its id");
    await waitReplicated(back, 3);
    // It came back on other ports: its record follows it (identity is the id).
    await waitFor(
      "the node table to record the new address",
      async () => {
        const s = await clusterStatus(survivors[0]!);
        const rec = s.nodes.find((n) => n.id === back.nodeId);
        return rec?.address === `127.0.0.1:${back.busPort}` &&
          rec.respAddress === `127.0.0.1:${back.respPort}`
          ? true
          : undefined;
      },
      10_000,
    );
  });

  it("keeps taking writes when a follower is killed, and again when the new leader is killed", async () => {
    const leader = await leaderOf(cluster, 2);
    const follower = cluster.nodes.find((n) => n !== leader)!;
    const third = cluster.nodes.find((n) => n !== leader && n !== follower)!;
    const load = startLoad([leader, third], "b");
    await new Promise((r) => setTimeout(r, 500));
    follower.kill("SIGKILL");
    await follower.waitExit();
    await new Promise((r) => setTimeout(r, 1_000));
    const before = await load.stop();
    assert.ok(before > 0, "no write acknowledged with one follower down");
    const fi = cluster.nodes.indexOf(follower);
    cluster.nodes[fi] = await restart(cluster, follower);
    await waitReplicated(third, 3);

    const leader2 = await leaderOf(cluster, 2);
    const others = cluster.nodes.filter((n) => n !== leader2);
    const load2 = startLoad(others, "c");
    await new Promise((r) => setTimeout(r, 500));
    const t0 = performance.now();
    leader2.kill("SIGKILL");
    const outageMs = await timeToWrite(others, t0);
    await load2.stop();
    console.log(
      `# failover after second leader kill: writes again after ${Math.round(outageMs)} ms`,
    );
    assert.ok(outageMs <= FAILOVER_MS_MAX, `writes resumed after ${Math.round(outageMs)} ms`);
    await leader2.waitExit();
    const li = cluster.nodes.indexOf(leader2);
    cluster.nodes[li] = await restart(cluster, leader2);
    await waitReplicated(cluster.nodes[li]!, 3);
  });

  it("loses no acknowledged write across a full-cluster kill and restart", async () => {
    const load = startLoad(cluster.nodes, "d");
    await new Promise((r) => setTimeout(r, 700));
    for (const n of cluster.nodes) n.kill("SIGKILL");
    await Promise.all(cluster.nodes.map((n) => n.waitExit()));
    await load.stop();
    const restarted = await Promise.all(
      cluster.nodes.map((n) => restart(cluster, n, { keepPorts: true })),
    );
    cluster.nodes.splice(0, cluster.nodes.length, ...restarted);
    await waitFor(
      "a leader of range 2",
      async () => (await leaderOf(cluster, 2)) ?? undefined,
      30_000,
    );
    assert.ok(acked.size > 0);
    await verifyAll(cluster.nodes[2]!);
  });
});
