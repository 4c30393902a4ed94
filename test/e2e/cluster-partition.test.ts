/**
 * A node cut off from the others by `DEBUG FAULT PARTITION` (fault injection
 * enabled) cannot acknowledge writes or serve strong reads: both fail with an
 * error within the bound instead of answering stale or hanging. It still
 * serves `CLIENT CONSISTENCY any` reads from its own replica. After
 * `DEBUG FAULT HEAL` it serves everything again. Meanwhile the majority side
 * keeps serving.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type Cluster,
  client,
  leaderOf,
  startCluster,
  waitFor,
  withClient,
} from "../support/cluster.js";
import { stopAll } from "../support/process.js";

after(stopAll);

/** The cluster's write and read timeouts, and how long a request on the minority side may take to fail. */
const TIMEOUT_MS = 3_000;
const ERROR_MS_MAX = TIMEOUT_MS + 2_000;

describe("a partitioned node", () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster(3, {
      args: [
        "--enable-fault-injection",
        "--proposal-timeout-ms",
        String(TIMEOUT_MS),
        "--read-timeout-ms",
        String(TIMEOUT_MS),
      ],
    });
  });

  it("refuses writes and strong reads but serves reads at consistency any", async () => {
    const leader2 = await leaderOf(cluster, 2);
    const leader1 = await leaderOf(cluster, 1);
    // Cut off a node that leads neither range, so the majority side keeps both leaders.
    const victim =
      cluster.nodes.find((n) => n !== leader2 && n !== leader1) ??
      cluster.nodes.find((n) => n !== leader2)!;
    const others = cluster.nodes.filter((n) => n !== victim);
    await withClient(others[0]!, async (c) =>
      assert.equal(await c.set("before", "partition"), "OK"),
    );
    await waitFor(
      "the victim to apply the write",
      async () =>
        withClient(victim, async (c) => {
          await c.call("CLIENT", "CONSISTENCY", "any");
          return (await c.get("before")) === "partition" ? true : undefined;
        }),
      10_000,
    );

    await withClient(victim, async (c) => {
      const ids = others.map((n) => String(n.nodeId));
      assert.match(String(await c.call("DEBUG", "FAULT", "PARTITION", ...ids)), /partition/i);
    });
    const c = client(victim);
    await c.connect();
    try {
      let t0 = performance.now();
      await assert.rejects(c.set("during", "partition"));
      const writeMs = performance.now() - t0;
      t0 = performance.now();
      await assert.rejects(c.get("before"));
      const readMs = performance.now() - t0;
      console.log(
        `# partitioned node: write failed after ${Math.round(writeMs)} ms, strong read after ${Math.round(readMs)} ms`,
      );
      assert.ok(writeMs <= ERROR_MS_MAX, `write took ${writeMs} ms to fail`);
      assert.ok(readMs <= ERROR_MS_MAX, `strong read took ${readMs} ms to fail`);
      await c.call("CLIENT", "CONSISTENCY", "any");
      assert.equal(await c.get("before"), "partition");
    } finally {
      c.disconnect();
    }
    // The majority keeps serving.
    await withClient(others[1]!, async (m) => {
      assert.equal(await m.set("majority", "ok"), "OK");
      assert.equal(await m.get("majority"), "ok");
    });

    await withClient(victim, (v) => v.call("DEBUG", "FAULT", "HEAL"));
    await waitFor(
      "the healed node to serve strong reads",
      async () =>
        withClient(victim, async (v) => ((await v.get("majority")) === "ok" ? true : undefined)),
      15_000,
      250,
    );
    await withClient(victim, async (v) => assert.equal(await v.set("after", "heal"), "OK"));
  });
});
