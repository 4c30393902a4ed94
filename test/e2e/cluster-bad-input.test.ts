/**
 * Bad ways to start a node of a cluster each fail with a clear message and
 * harm nothing (the cluster keeps serving):
 * - joining through a seed nobody listens on;
 * - a data directory of another cluster, given a seed of this one;
 * - a new node claiming the bus address of an existing node;
 * - DEBUG FAULT on a node without fault injection.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Cluster, startCluster, withClient } from "../support/cluster.js";
import { runTessera, startNode, stopAll, tempDataDir } from "../support/process.js";

after(stopAll);

function start(dataDir: string, extra: readonly string[]) {
  return runTessera(
    [
      "start",
      "--port",
      "0",
      "--http-port",
      "0",
      "--bus-port",
      "0",
      "--data-dir",
      dataDir,
      ...extra,
    ],
    { timeoutMs: 60_000 },
  );
}

describe("starting a node badly", () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster(3);
  });

  async function stillServing(): Promise<void> {
    await withClient(cluster.nodes[0]!, async (c) => {
      const v = `v${Date.now()}`;
      assert.equal(await c.set("alive", v), "OK");
      assert.equal(await c.get("alive"), v);
    });
  }

  it("gives up on an unreachable seed with exit code 1", async () => {
    const r = await start(tempDataDir(), ["--join", "127.0.0.1:1"]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /could not reach any join seed: 127\.0\.0\.1:1/);
    await stillServing();
  });

  it("refuses a data directory of another cluster", async () => {
    const other = await startNode({});
    await other.stop();
    const r = await start(other.dataDir, ["--join", cluster.seed]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /belongs to cluster .*, but the join seeds are in cluster/);
    await stillServing();
  });

  it("refuses a new node that claims an existing node's bus address", async () => {
    const n3 = cluster.nodes[2]!;
    n3.kill("SIGKILL");
    await n3.waitExit();
    const r = await start(tempDataDir(), [
      "--bus-port",
      String(n3.busPort),
      "--join",
      cluster.seed,
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /already belongs to node 3/);
    await stillServing();
  });

  it("refuses DEBUG FAULT unless fault injection is enabled", async () => {
    await withClient(cluster.nodes[0]!, async (c) => {
      await assert.rejects(c.call("DEBUG", "FAULT", "PARTITION", "2"), /fault injection/i);
    });
    await stillServing();
  });
});
