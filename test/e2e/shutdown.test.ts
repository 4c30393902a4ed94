/**
 * Graceful shutdown: on SIGTERM a node stops accepting, finishes the writes
 * in flight, closes LMDB, releases its data directory and exits 0; what it
 * acknowledged is there on restart.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { startNode, stopAll } from "../support/process.js";

after(stopAll);

describe("graceful shutdown", () => {
  it("exits 0 on SIGTERM, releases the lock and keeps acknowledged writes", async () => {
    const node = await startNode();
    const client = new Redis({
      port: node.respPort,
      host: "127.0.0.1",
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    client.on("error", () => {});
    await client.connect();
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) writes.push(client.set(`k${i}`, `v${i}`).catch(() => undefined));
    const acked = await Promise.all(writes);
    const exit = await node.stop();
    client.disconnect();
    assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}\n${node.output()}`);
    assert.ok(!existsSync(join(node.dataDir, "LOCK")), "the lock file is released");
    assert.match(node.output(), /"msg":"stopped"/);

    const again = await startNode({ dataDir: node.dataDir });
    const c2 = new Redis({ port: again.respPort, host: "127.0.0.1", lazyConnect: true });
    await c2.connect();
    for (let i = 0; i < 200; i++)
      if (acked[i] === "OK") assert.equal(await c2.get(`k${i}`), `v${i}`);
    c2.disconnect();
    await again.stop();
  });

  it("reports ready on /readyz and healthy on /healthz, with metrics", async () => {
    const node = await startNode();
    const base = `http://127.0.0.1:${node.httpPort}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^tessera_ready 1$/m);
    assert.match(metrics, /^tessera_store_commits_total \d+$/m);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    await node.stop();
  });
});
