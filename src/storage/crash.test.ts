import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { nodeId, rangeId } from "../lib/index.js";
import { Store as LmdbStore } from "./store.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-store-crash-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const WRITER = new URL("./testdata/crash-writer.ts", import.meta.url).pathname;
const utf8 = (s: string) => new TextEncoder().encode(s);

/** Runs the writer until it has acknowledged `atLeast` more batches, then SIGKILLs it. */
function writeThenKill(atLeast: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WRITER, dir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let last = 0;
    let seen = 0;
    let buf = "";
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop()!;
      for (const l of lines) {
        last = Number(l);
        if (++seen === atLeast) child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("exit", (_code, signal) =>
      signal === "SIGKILL" ? resolve(last) : reject(new Error(`writer exited: ${_code}`)),
    );
  });
}

describe("LmdbStore after kill -9", () => {
  it("holds exactly whole batches, including every acknowledged one", async () => {
    for (let round = 0; round < 3; round++) {
      const acked = await writeThenKill(200);
      const store = await LmdbStore.open({
        dataDir: dir,
        create: { clusterId: "c", nodeId: nodeId(1), nowMs: 0 },
      });
      const log = store.logStorage(rangeId(1));
      const last = log.lastIndex();
      assert.ok(
        last >= acked,
        `round ${round}: acknowledged batch ${acked} but the log ends at ${last}`,
      );
      assert.equal(log.hardState().commit, last);
      assert.equal(log.applied().index, last);
      const view = store.kvView();
      for (const n of [1, acked, last]) {
        for (let k = 0; k < 10; k++)
          assert.equal(new TextDecoder().decode(view.get(utf8(`b${n}-k${k}`))), `v${n}`);
      }
      assert.equal(view.get(utf8(`b${last + 1}-k0`)), undefined);
      await store.close();
    }
  });
});
