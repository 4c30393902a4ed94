/**
 * The `StorageEngine` contract (engine.ts), checked on both engines: LMDB
 * and the in-memory engine used by unit tests. Atomic writes (a throwing
 * transaction writes nothing), reads of a transaction's own writes, ordered
 * ranges with bounds, limits and reverse order.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { StorageEngine } from "./engine.js";
import { LmdbEngine } from "./lmdb-engine.js";
import { MemoryEngine } from "./memory-engine.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const k = (...bytes: number[]) => new Uint8Array(bytes);
const val = (v: Uint8Array | undefined) => (v === undefined ? undefined : [...v]);
const keys = (it: Iterable<{ key: Uint8Array }>) => [...it].map((e) => [...e.key]);

const engines: [string, () => StorageEngine][] = [
  ["MemoryEngine", () => new MemoryEngine()],
  [
    "LmdbEngine",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "tessera-engine-"));
      dirs.push(dir);
      return LmdbEngine.open(dir);
    },
  ],
];

for (const [name, make] of engines) {
  describe(`${name} (StorageEngine contract)`, () => {
    it("writes a transaction whole, and nothing of one that throws", async () => {
      const e = make();
      const db = e.db("data");
      await e.write(() => {
        db.put(k(1), k(10));
        db.put(k(2), k(20));
        assert.deepEqual(val(db.get(k(1))), [10], "a transaction reads its own writes");
      });
      await assert.rejects(
        e.write(() => {
          db.put(k(3), k(30));
          db.remove(k(1));
          throw new Error("boom");
        }),
        /boom/,
      );
      assert.deepEqual(val(db.get(k(1))), [10]);
      assert.equal(db.get(k(3)), undefined);
      await e.close();
    });

    it("clears a sub-database whole, undone with a transaction that throws", async () => {
      const e = make();
      const db = e.db("data");
      const other = e.db("other");
      await e.write(() => {
        for (let i = 0; i < 300; i++) db.put(k(i >> 8, i & 0xff), k(i & 0xff));
        other.put(k(1), k(1));
      });
      await assert.rejects(
        e.write(() => {
          db.clear();
          assert.deepEqual(keys(db.range({})), [], "a transaction sees its own clear");
          throw new Error("boom");
        }),
        /boom/,
      );
      assert.equal(keys(db.range({})).length, 300);
      await e.write(() => {
        db.clear();
        db.put(k(7), k(7));
      });
      assert.deepEqual(keys(db.range({})), [[7]]);
      assert.deepEqual(keys(other.range({})), [[1]]);
      await e.close();
    });

    it("ranges in byte order with bounds, limit and reverse", async () => {
      const e = make();
      const db = e.db("data");
      const other = e.db("other");
      e.writeSync(() => {
        for (const key of [k(3), k(1), k(2, 0), k(2), k(4)]) db.put(key, k(0));
        other.put(k(2), k(9));
      });
      assert.deepEqual(keys(db.range({})), [[1], [2], [2, 0], [3], [4]]);
      assert.deepEqual(keys(db.range({ start: k(2), end: k(4) })), [[2], [2, 0], [3]]);
      assert.deepEqual(keys(db.range({ start: k(2), limit: 2 })), [[2], [2, 0]]);
      assert.deepEqual(keys(db.range({ start: k(2), end: k(4), reverse: true })), [
        [3],
        [2, 0],
        [2],
      ]);
      assert.deepEqual(keys(db.range({ end: k(4), reverse: true, limit: 1 })), [[3]]);
      assert.deepEqual(keys(other.range({})), [[2]], "sub-databases are separate");
      assert.ok(e.sizeBytes() >= 0);
      await e.close();
    });
  });
}
