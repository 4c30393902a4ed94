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
    const leader = await leaderOf(cluster, 2);
    const follower = cluster.nodes.find((n) => n !== leader)!;
    await withClient(leader, async (c) => {
      await c.set("wait-key", "v");
      assert.equal(await c.call("WAIT", "2", "5000"), 2);
      const info = String(await c.info("replication"));
      assert.match(info, /^role:master\r?$/m);
      assert.match(info, /^connected_slaves:2\r?$/m);
      assert.match(info, /^slave0:ip=127\.0\.0\.1,port=\d+,state=\w+,offset=\d+,lag=\d+\r?$/m);
      assert.match(info, /^master_repl_offset:\d+\r?$/m);
    });
    await withClient(follower, async (c) => {
      const info = String(await c.info("replication"));
      assert.match(info, /^role:slave\r?$/m);
      assert.match(info, new RegExp(`^master_port:${leader.respPort}\\r?$`, "m"));
      assert.match(info, /^master_link_status:up\r?$/m);
    });
  });

  it("prints the cluster with tessera status and tessera node list", async () => {
    const port = String(cluster.nodes[2]!.respPort);
    const status = await runTessera(["status", "-p", port]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /nodes:/);
    assert.match(
      status.stdout,
      /^\s+1\s+127\.0\.0\.1:\d+\s+127\.0\.0\.1:\d+\s+-\s+live\s+active$/m,
    );
    assert.match(status.stdout, /^\s+2\s+\d+\s+1,2,3\s+-\s+\d+\s+n\d:\d+ n\d:\d+$/m);
    const list = await runTessera(["node", "list", "-p", port]);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout.trim().split("\n").length, 4);
  });
});
