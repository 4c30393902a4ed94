/**
 * A three-node cluster of real processes serves one consistent key space:
 * a write acknowledged through one node is read (strong, the default)
 * through another; INFO replication shows the data range's leader as master
 * with its two replicas and their offsets, WAIT counts them, and the
 * operator commands (`tessera status`, `tessera node list`) show every node
 * live and every range with three voters.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type Cluster,
  clusterStatus,
  leaderOf,
  startCluster,
  waitFor,
  withClient,
} from "../support/cluster.js";
import { runTessera, stopAll } from "../support/process.js";

after(stopAll);

describe("a three-node cluster", () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster(3);
  });

  it("reads through node 3 what was written through node 1", async () => {
    const [n1, , n3] = cluster.nodes;
    await withClient(n1!, async (c) => {
      assert.equal(await c.set("greeting", "hello from node 1"), "OK");
      assert.equal(await c.incrby("counter", 7), 7);
    });
    await withClient(n3!, async (c) => {
      assert.equal(await c.get("greeting"), "hello from node 1");
      assert.equal(await c.get("counter"), "7");
      assert.equal(await c.set("reply", "from node 3"), "OK");
    });
    await withClient(n1!, async (c) => assert.equal(await c.get("reply"), "from node 3"));
  });

  it("gives every node an id and keeps every range on three voters", async () => {
    const s = await clusterStatus(cluster.nodes[1]!);
    assert.deepEqual(
      s.nodes.map((n) => [n.id, n.state, n.liveness]),
      [
        [1, "active", "live"],
        [2, "active", "live"],
        [3, "active", "live"],
      ],
    );
    for (const r of s.ranges)
      assert.deepEqual([...r.voters].sort(), [1, 2, 3], `range ${r.rangeId}`);
    assert.deepEqual(
      cluster.nodes.map((n) => n.nodeId),
      [1, 2, 3],
    );
  });

  it("shows the data range's leader as master in INFO replication, and WAIT counts its replicas", async () => {
    // Leadership may move (leader balancing, an election on a loaded machine)
    // between finding the leader and asking it: then ask the new one.
    await waitFor(
      "the data range's leader to report itself as master",
      async () => {
        const leader = await leaderOf(cluster, 2);
        const follower = cluster.nodes.find((n) => n !== leader)!;
        const asMaster = await withClient(leader, async (c) => {
          await c.set("wait-key", "v");
          const acked = await c.call("WAIT", "2", "5000");
          const info = String(await c.info("replication"));
          if (!/^role:master\r?$/m.test(info)) return undefined;
          assert.equal(acked, 2);
          assert.match(info, /^connected_slaves:2\r?$/m);
          assert.match(info, /^slave0:ip=127\.0\.0\.1,port=\d+,state=\w+,offset=\d+,lag=\d+\r?$/m);
          assert.match(info, /^master_repl_offset:\d+\r?$/m);
          return true;
        });
        if (asMaster === undefined) return undefined;
        return withClient(follower, async (c) => {
          const info = String(await c.info("replication"));
          if (!new RegExp(`^master_port:${leader.respPort}\\r?$`, "m").test(info)) return undefined;
          assert.match(info, /^role:slave\r?$/m);
          assert.match(info, /^master_link_status:up\r?$/m);
          return true;
        });
      },
      30_000,
      200,
    );
  });

  it("prints the cluster with tessera status and tessera node list", async () => {
    await withClient(cluster.nodes[0]!, async (c) => {
      for (let i = 0; i < 5; i++) assert.equal(await c.set(`status:${i}`, "v"), "OK");
    });
    const port = String(cluster.nodes[2]!.respPort);
    const status = await runTessera(["status", "-p", port]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /nodes:/);
    // id address resp locality liveness state | replicas leaders keys size ops/s
    assert.match(
      status.stdout,
      /^\s+1\s+127\.0\.0\.1:\d+\s+127\.0\.0\.1:\d+\s+-\s+live\s+active\s+3\s+\d+\s+\d+\s+\d+(\.\d)? (B|KiB|MiB)\s+\d+(\.\d)?$/m,
    );
    // range leader voters learners commit lag | span keys size ops/s
    const data =
      /^\s+2\s+\d+\s+1,2,3\s+-\s+\d+\s+n\d:\d+ n\d:\d+\s+slots 0-16383 \+ db1-db4294967294\s+(\d+)\s+\d+(\.\d)? (B|KiB|MiB)\s+\d+(\.\d)?$/m.exec(
        status.stdout,
      );
    assert.ok(data, status.stdout);
    assert.ok(Number(data[1]) >= 5, `the data range holds the keys written: ${data[0]}`);
    const list = await runTessera(["node", "list", "-p", port]);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout.trim().split("\n").length, 4);
  });
});
