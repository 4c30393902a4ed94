/**
 * Tests of expiry resolution, the expiry index walk and keyspace statistics.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromUtf8, keyspaceId } from "../lib/index.js";
import { keyspaceStats } from "./counters.js";
import { findExpiredKeys, resolveExpiry } from "./expiry.js";
import { cmd, KS0, KvHarness } from "./testing.js";

const T0 = 1_700_000_000_000;
const names = (found: ReturnType<typeof findExpiredKeys>) =>
  found.map((f) => [f.ks, f.keys.map(fromUtf8)]);

describe("resolveExpiry", () => {
  it("resolves each kind against the stamp and the current expiry", () => {
    assert.deepEqual(resolveExpiry({ kind: "none" }, 100, 500), { kind: "at", atMs: 0 });
    assert.deepEqual(resolveExpiry({ kind: "persist" }, 100, 500), { kind: "at", atMs: 0 });
    assert.deepEqual(resolveExpiry({ kind: "keep" }, 100, 500), { kind: "at", atMs: 500 });
    assert.deepEqual(resolveExpiry({ kind: "in", ms: 50 }, 100, 0), { kind: "at", atMs: 150 });
    assert.deepEqual(resolveExpiry({ kind: "in", ms: 0 }, 100, 0), { kind: "expired" });
    assert.deepEqual(resolveExpiry({ kind: "at", atMs: 100 }, 100, 0), { kind: "expired" });
    assert.deepEqual(resolveExpiry({ kind: "at", atMs: 101 }, 100, 0), { kind: "at", atMs: 101 });
    assert.deepEqual(resolveExpiry({ kind: "in", ms: Number.MAX_SAFE_INTEGER }, 100, 0), {
      kind: "invalid",
    });
  });
});

describe("findExpiredKeys", () => {
  it("finds due keys oldest first, per keyspace, within the limit", () => {
    const h = new KvHarness(T0);
    const ks3 = keyspaceId(3);
    h.write(cmd.set("late", "1", { expiry: { kind: "in", ms: 30 } }));
    h.write(cmd.set("early", "1", { expiry: { kind: "in", ms: 10 } }));
    h.write(cmd.set("never", "1"));
    h.write(cmd.set("other", "1", { expiry: { kind: "in", ms: 5 }, ks: ks3 }));
    assert.deepEqual(names(findExpiredKeys(h.store, undefined, T0 + 9, 10)), [[3, ["other"]]]);
    assert.deepEqual(names(findExpiredKeys(h.store, undefined, T0 + 30, 10)), [
      [0, ["early", "late"]],
      [3, ["other"]],
    ]);
    assert.deepEqual(names(findExpiredKeys(h.store, undefined, T0 + 30, 2)), [
      [0, ["early", "late"]],
    ]);
    assert.deepEqual(names(findExpiredKeys(h.store, undefined, T0 + 30, 1)), [[0, ["early"]]]);
    assert.deepEqual(names(findExpiredKeys(h.store, ks3, T0 + 30, 10)), [[3, ["other"]]]);
    assert.deepEqual(findExpiredKeys(h.store, keyspaceId(9), T0 + 30, 10), []);
  });

  it("feeds expire-due commands that reclaim the keys and their counters", () => {
    const h = new KvHarness(T0);
    h.write(
      cmd.mset([
        ["a", "1"],
        ["b", "1"],
      ]),
    );
    h.write(cmd.expireIn("a", 10));
    h.advance(10);
    assert.deepEqual(keyspaceStats(h.store), [{ ks: KS0, keys: 2, expires: 1 }]);
    for (const { ks, keys } of findExpiredKeys(h.store, undefined, h.nowMs, 100)) {
      assert.equal(h.write({ op: "expire-due", ks, keys }).t, "int");
    }
    assert.deepEqual(keyspaceStats(h.store), [{ ks: KS0, keys: 1, expires: 0 }]);
    assert.deepEqual(findExpiredKeys(h.store, undefined, h.nowMs, 100), []);
  });
});

describe("keyspaceStats", () => {
  it("lists only non-empty keyspaces, in order", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("a", "1", { ks: keyspaceId(7) }));
    h.write(cmd.set("a", "1", { ks: keyspaceId(2), expiry: { kind: "in", ms: 100 } }));
    h.write(cmd.set("b", "1", { ks: keyspaceId(2) }));
    h.write(cmd.set("x", "1"));
    h.write(cmd.del("x"));
    assert.deepEqual(keyspaceStats(h.store), [
      { ks: 2, keys: 2, expires: 1 },
      { ks: 7, keys: 1, expires: 0 },
    ]);
  });
});
