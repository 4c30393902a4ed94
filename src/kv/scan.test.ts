/**
 * Tests of SCAN's cursor and its guarantee: every key present for the whole
 * iteration is returned exactly once, under concurrent inserts and deletes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { KeyspaceMode } from "../lib/index.js";
import { encodeDataKey, keyspaceId } from "../lib/index.js";
import { decodeScanCursor, encodeScanCursor } from "./scan.js";
import { cmd, KvHarness, plain } from "./testing.js";

const T0 = 1_700_000_000_000;

/** Runs a whole SCAN iteration, calling `between` before each call after the first. */
function scanAll(
  h: KvHarness,
  opts: { count?: number; match?: string; type?: string },
  between: (step: number) => void = () => {},
): { keys: string[]; calls: number } {
  const keys: string[] = [];
  let cursor = "0";
  let calls = 0;
  do {
    if (calls > 0) between(calls);
    const [next, batch] = plain(h.read(cmd.scan(cursor, opts))) as [string, string[]];
    keys.push(...batch);
    cursor = next;
    calls++;
    assert.ok(calls < 10_000, "scan does not terminate");
  } while (cursor !== "0");
  return { keys, calls };
}

describe("SCAN", () => {
  it("returns every key exactly once over an iteration, in pages of COUNT", () => {
    for (const mode of ["hash", "range"] as const) {
      const h = new KvHarness(T0, () => mode);
      const keys = Array.from({ length: 95 }, (_, i) => `k${i}`);
      h.write(cmd.mset(keys.map((k) => [k, "v"])));
      const { keys: got, calls } = scanAll(h, { count: 10 });
      assert.deepEqual([...got].sort(), [...keys].sort());
      assert.equal(calls, 10);
    }
  });

  it("returns range keyspace keys in key order", () => {
    const h = new KvHarness(T0, () => "range");
    h.write(
      cmd.mset([
        ["b", "1"],
        ["a", "1"],
        ["c", "1"],
        ["aa", "1"],
      ]),
    );
    assert.deepEqual(scanAll(h, { count: 2 }).keys, ["a", "aa", "b", "c"]);
  });

  it("filters by MATCH and TYPE and skips expired keys", () => {
    const h = new KvHarness(T0);
    h.write(
      cmd.mset([
        ["user:1", "a"],
        ["user:2", "b"],
        ["item:1", "c"],
      ]),
    );
    h.write(cmd.set("user:3", "x", { expiry: { kind: "in", ms: 5 } }));
    h.advance(5);
    assert.deepEqual(scanAll(h, { match: "user:*" }).keys.sort(), ["user:1", "user:2"]);
    assert.deepEqual(scanAll(h, { type: "STRING" }).keys.length, 3);
    assert.deepEqual(scanAll(h, { type: "hash" }).keys, []);
  });

  it("refuses a cursor it could not have produced", () => {
    const h = new KvHarness(T0);
    const invalid = { error: "INVALID_ARGUMENT", message: "invalid cursor" };
    for (const c of ["-1", "abc", "1.5", "", "2", "256"])
      assert.deepEqual(plain(h.read(cmd.scan(c))), invalid, c);
  });

  it("keeps cursors within an unsigned 64-bit integer and round-trips their position", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<KeyspaceMode>("hash", "range"),
        fc.uint8Array({ minLength: 0, maxLength: 30 }),
        (mode, key) => {
          const position = encodeDataKey(keyspaceId(7), mode, key).subarray(5);
          fc.pre(position.length > 0);
          const cursor = encodeScanCursor(position);
          assert.match(cursor, /^[1-9][0-9]*$/);
          assert.ok(BigInt(cursor) < 2n ** 64n);
          assert.deepEqual(decodeScanCursor(cursor, mode), position.subarray(0, 7));
        },
      ),
    );
  });

  it("moves forward through more keys sharing a long prefix than COUNT", () => {
    const h = new KvHarness(T0, () => "range");
    const keys = Array.from(
      { length: 50 },
      (_, i) => `a-very-long-shared-prefix:${String(i).padStart(3, "0")}`,
    );
    for (const k of keys) h.write(cmd.set(k, "v"));
    const seen = new Set<string>();
    let cursor = "0";
    let calls = 0;
    do {
      const reply = plain(h.read(cmd.scan(cursor, { count: 5 }))) as [string, string[]];
      cursor = reply[0];
      for (const k of reply[1]) seen.add(k);
      calls++;
      assert.ok(calls < 100, "the iteration must end");
    } while (cursor !== "0");
    assert.deepEqual([...seen].sort(), keys);
  });

  it("returns every key present for the whole iteration, under concurrent inserts and deletes", () => {
    const op = fc.record({ insert: fc.boolean(), key: fc.integer({ min: 0, max: 60 }) });
    fc.assert(
      fc.property(
        fc.constantFrom<KeyspaceMode>("hash", "range"),
        fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 40 }),
        fc.array(fc.array(op, { maxLength: 6 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 7 }),
        (mode, initial, rounds, count) => {
          const h = new KvHarness(T0, () => mode);
          const name = (i: number) => `key:${i}`;
          const live = new Set(initial);
          for (const i of initial) h.write(cmd.set(name(i), "v"));
          const alwaysThere = new Set(initial);
          const { keys } = scanAll(h, { count }, (step) => {
            for (const { insert, key } of rounds[step - 1] ?? []) {
              if (insert) {
                h.write(cmd.set(name(key), "v"));
                live.add(key);
              } else {
                h.write(cmd.del(name(key)));
                live.delete(key);
                alwaysThere.delete(key);
              }
            }
          });
          const got = new Set(keys);
          assert.equal(got.size, keys.length, "a key was returned twice");
          for (const i of alwaysThere) assert.ok(got.has(name(i)), `missed ${name(i)}`);
        },
      ),
    );
  });

  it("keeps keyspaces apart", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("a", "1"));
    h.write(cmd.set("b", "1", { ks: keyspaceId(1) }));
    assert.deepEqual(scanAll(h, {}).keys, ["a"]);
    assert.deepEqual(plain(h.read(cmd.keys("*", keyspaceId(1)))), ["b"]);
  });
});
