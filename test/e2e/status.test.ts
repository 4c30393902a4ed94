/**
 * `tessera status` reads a running node's replication and keyspace summary
 * over the Redis protocol, with what each node and range holds; INFO's ranges
 * section counts the node's own replicas; an unreachable node is a one-line
 * error, exit 1.
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
    // A lone node holds and leads the three ranges a cluster starts with.
    const info = await client.info("ranges");
    assert.match(info, /^# Ranges\r\nranges:3\r\nranges_leading:3\r\n/);
    assert.match(info, /^ranges_keys:\d+\r$/m);
    assert.match(info, /^ranges_bytes:\d+\r$/m);
    assert.match(info, /^ranges_ops_per_sec:\d+\.\d\d\r$/m);
    assert.match(
      info,
      /^range1:role=leader,span=system,keys=\d+,bytes=\d+,ops_per_sec=\d+\.\d\d\r$/m,
    );
    assert.match(
      info,
      /^range2:role=leader,span=slots 0-16383 \+ db1-db4294967294,keys=2,bytes=\d+,ops_per_sec=\d+\.\d\d\r$/m,
    );
    assert.match(await client.info(), /\r\n# Ranges\r\nranges:3\r\n/, "a default section");
    client.disconnect();
    const r = await runTessera(["status", "--port", String(node.respPort), "--password", "s3cret"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /role: master/);
    assert.match(r.stdout, /db0:keys=2/);
    // id address resp locality liveness state | replicas leaders keys size ops/s
    assert.match(r.stdout, /^\s+1\s+\S+\s+\S+\s+-\s+live\s+active\s+3\s+3\s+\d+\s+\d+/m);
    assert.match(
      r.stdout,
      /^\s+2\s+1\s+1\s+-\s+\d+\s+-\s+slots 0-16383 \+ db1-db4294967294\s+2\s+/m,
    );
    await node.stop();
  });

  it("reports a node it cannot reach", async () => {
    const r = await runTessera(["status", "--port", "1"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach 127\.0\.0\.1:1/);
  });
});
