/**
 * `tessera status` reads a running node's replication and keyspace summary
 * over the Redis protocol; an unreachable node is a one-line error, exit 1.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { runTessera, startNode, stopAll } from "../support/process.js";

after(stopAll);

describe("tessera status", () => {
  it("summarises a running node", async () => {
    const node = await startNode({ args: ["--requirepass", "s3cret"] });
    const client = new Redis({
      port: node.respPort,
      host: "127.0.0.1",
      password: "s3cret",
      lazyConnect: true,
    });
    await client.connect();
    await client.set("a", "1");
    await client.set("b", "2");
    client.disconnect();
    const r = await runTessera(["status", "--port", String(node.respPort), "--password", "s3cret"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /role: master/);
    assert.match(r.stdout, /db0:keys=2/);
    await node.stop();
  });

  it("reports a node it cannot reach", async () => {
    const r = await runTessera(["status", "--port", "1"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach 127\.0\.0\.1:1/);
  });
});
