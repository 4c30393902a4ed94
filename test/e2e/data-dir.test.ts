/**
 * A node refuses a data directory it cannot use, with a clear message and
 * exit code 1: one held by a running node, a file where the directory should
 * be, a store of another format version. A directory left locked by a node
 * killed with SIGKILL is taken over.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { open } from "lmdb";
import { runTessera, startNode, stopAll, tempDataDir } from "../support/process.js";

after(stopAll);

const startArgs = (dataDir: string) => [
  "start",
  "--port",
  "0",
  "--http-port",
  "0",
  "--bus-port",
  "0",
  "--data-dir",
  dataDir,
];

describe("data directory checks", () => {
  it("refuses a data directory held by a running node", async () => {
    const node = await startNode();
    const second = await runTessera(startArgs(node.dataDir));
    assert.equal(second.code, 1);
    assert.match(second.stderr, /in use by another Tessera process/);
    assert.match(second.stderr, new RegExp(`pid ${node.pid}`));
    await node.stop();
  });

  it("takes over the directory of a node killed with SIGKILL", async () => {
    const node = await startNode();
    node.kill("SIGKILL");
    await node.waitExit();
    const again = await startNode({ dataDir: node.dataDir });
    assert.ok(again.respPort > 0);
    await again.stop();
  });

  it("refuses a file where the data directory should be", async () => {
    const path = join(tempDataDir(), "file");
    writeFileSync(path, "not a directory");
    const r = await runTessera(startArgs(path));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not a directory/);
  });

  it("refuses a store of another format version", async () => {
    const node = await startNode();
    await node.stop();
    const env = open({ path: join(node.dataDir, "store"), maxDbs: 16, overlappingSync: false });
    const meta = env.openDB<Uint8Array, Uint8Array>({
      name: "meta",
      keyEncoding: "binary",
      encoding: "binary",
    });
    const identity = JSON.parse(Buffer.from(meta.get(Buffer.from("identity"))!).toString());
    await meta.put(
      Buffer.from("identity"),
      Buffer.from(JSON.stringify({ ...identity, formatVersion: 999 })),
    );
    await env.close();
    const r = await runTessera(startArgs(node.dataDir));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /format version 999/);
  });

  it("refuses a non-empty directory that is not a Tessera data directory", async () => {
    const dir = tempDataDir();
    writeFileSync(join(dir, "notes.txt"), "mine");
    const r = await runTessera(startArgs(dir));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not a Tessera data directory/);
  });
});
