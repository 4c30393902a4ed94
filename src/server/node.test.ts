import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { pino } from "pino";
import { isTesseraError } from "../lib/index.js";
import { DEFAULT_NODE_LIMITS } from "./limits.js";
import { startNode } from "./node.js";
import type { NodeConfig } from "./node-config.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function config(overrides: Partial<NodeConfig> = {}): NodeConfig {
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-node-"));
  dirs.push(dataDir);
  return {
    bind: "127.0.0.1",
    port: 0,
    httpPort: 0,
    busPort: 0,
    dataDir,
    join: [],
    locality: {},
    logLevel: "silent",
    limits: DEFAULT_NODE_LIMITS,
    replicationFactor: 3,
    faultInjection: false,
    ...overrides,
  };
}

const quiet = { logger: pino({ level: "silent" }), tickMs: 20 };

describe("startNode", () => {
  it("serves Redis clients from a replicated store and keeps data across restarts", async () => {
    const c = config();
    const node = await startNode(c, quiet);
    assert.ok(node.respPort > 0 && node.httpPort > 0 && node.busPort > 0);
    assert.equal(node.nodeId, 1);
    const client = new Redis({ port: node.respPort, host: "127.0.0.1", lazyConnect: true });
    await client.connect();
    assert.equal(await client.set("greeting", "hello"), "OK");
    assert.equal(await client.incrby("n", 5), 5);
    assert.equal(await client.get("greeting"), "hello");
    client.disconnect();
    await node.stop();
    await node.stop();

    const again = await startNode(c, quiet);
    const c2 = new Redis({ port: again.respPort, host: "127.0.0.1", lazyConnect: true });
    await c2.connect();
    assert.equal(await c2.get("greeting"), "hello");
    assert.equal(await c2.get("n"), "5");
    c2.disconnect();
    await again.stop();
  });

  it("describes itself to Redis Cluster clients as the master of every slot", async () => {
    const node = await startNode(config(), quiet);
    const client = new Redis({ port: node.respPort, host: "127.0.0.1", lazyConnect: true });
    try {
      await client.connect();
      const myId = (await client.call("CLUSTER", "MYID")) as string;
      assert.match(myId, /^[0-9a-f]{40}$/);
      assert.deepEqual(await client.call("CLUSTER", "SLOTS"), [
        [0, 16383, ["127.0.0.1", node.respPort, myId, []]],
      ]);
      const nodes = (await client.call("CLUSTER", "NODES")) as string;
      const line = `${myId} 127.0.0.1:${node.respPort}@${node.busPort} myself,master - 0 0 `;
      assert.ok(nodes.startsWith(line) && nodes.endsWith(" connected 0-16383\n"), nodes);
      assert.match((await client.call("CLUSTER", "INFO")) as string, /^cluster_state:ok\r\n/);
      // A cluster-aware client is served too: this node leads the only range.
      assert.equal(await client.set("k", "v"), "OK");
      assert.equal(await client.get("k"), "v");
    } finally {
      client.disconnect();
      await node.stop();
    }
  });

  it("answers /readyz, /healthz and /metrics on the HTTP port", async () => {
    const node = await startNode(config(), quiet);
    const base = `http://127.0.0.1:${node.httpPort}`;
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /^# TYPE tessera_store_commits_total counter$/m);
    assert.match(text, /^tessera_raft_is_leader 1$/m);
    // A lone node hosts the three ranges a cluster starts with; it has run rounds.
    assert.match(text, /^tessera_ranges 3$/m);
    const rounds = /^tessera_scheduler_rounds_total (\d+)$/m.exec(text);
    assert.ok(rounds !== null && Number(rounds[1]) > 0, "rounds counted");
    assert.match(text, /^tessera_raft_messages_sent_total 0$/m, "no peer to send to");
    assert.match(text, /^tessera_bus_frames_sent_total \d+$/m);
    assert.match(text, /^tessera_log_journal_records \d+$/m);
    await node.stop();
  });

  it("fails to start on a taken port and leaves the data directory free", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const port = (blocker.address() as { port: number }).port;
    const c = config({ port });
    await assert.rejects(
      startNode(c, quiet),
      (e) => (e as NodeJS.ErrnoException).code === "EADDRINUSE",
    );
    blocker.close();
    const node = await startNode({ ...c, port: 0 }, quiet);
    await node.stop();
  });

  it("refuses limits that are not positive integers", async () => {
    await assert.rejects(
      startNode(config({ limits: { ...DEFAULT_NODE_LIMITS, proposalsPendingMax: 0 } }), quiet),
      (e) => isTesseraError(e, "INVALID_ARGUMENT"),
    );
  });
});
