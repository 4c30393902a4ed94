/**
 * Tests of the in-memory store against a sorted-map model.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compareBytes } from "../lib/index.js";
import { MemoryKvStore } from "./memory-store.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("MemoryKvStore", () => {
  it("behaves like a sorted map under any sequence of writes", () => {
    const key = fc.uint8Array({ maxLength: 3, max: 3 });
    const op = fc.oneof(
      fc.record({ kind: fc.constant("put" as const), key, value: fc.uint8Array({ maxLength: 2 }) }),
      fc.record({ kind: fc.constant("delete" as const), key }),
      fc.record({ kind: fc.constant("deleteRange" as const), start: key, end: key }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 50 }),
        key,
        key,
        fc.nat({ max: 10 }),
        (ops, lo, hi, limit) => {
          const store = new MemoryKvStore();
          const model = new Map<string, { key: Uint8Array; value: Uint8Array }>();
          for (const o of ops) {
            if (o.kind === "put") {
              store.put(o.key, o.value);
              model.set(hex(o.key), { key: o.key, value: o.value });
            } else if (o.kind === "delete") {
              store.delete(o.key);
              model.delete(hex(o.key));
            } else {
              store.deleteRange(o.start, o.end);
              for (const [h, e] of model)
                if (compareBytes(o.start, e.key) <= 0 && compareBytes(e.key, o.end) < 0)
                  model.delete(h);
            }
          }
          const sorted = [...model.values()].sort((a, b) => compareBytes(a.key, b.key));
          assert.deepEqual(store.entries(), sorted);
          const inRange = sorted.filter(
            (e) => compareBytes(lo, e.key) <= 0 && compareBytes(e.key, hi) < 0,
          );
          assert.deepEqual([...store.scan(lo, hi, limit)], inRange.slice(0, limit));
          assert.equal(store.count(lo, hi), inRange.length);
          for (const e of sorted) assert.deepEqual(store.get(e.key), e.value);
        },
      ),
    );
  });

  it("keeps scanning correctly while the caller writes between steps", () => {
    const store = new MemoryKvStore();
    for (let i = 0; i < 10; i++) store.put(Uint8Array.of(i), Uint8Array.of(i));
    const seen: number[] = [];
    for (const { key } of store.scan(Uint8Array.of(0), Uint8Array.of(100), 100)) {
      seen.push(key[0] as number);
      store.delete(key);
      store.put(Uint8Array.of(50 + (key[0] as number)), Uint8Array.of(0));
    }
    assert.deepEqual(seen.slice(0, 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("copies what it stores", () => {
    const store = new MemoryKvStore();
    const k = Uint8Array.of(1);
    const v = Uint8Array.of(2);
    store.put(k, v);
    k[0] = 9;
    v[0] = 9;
    assert.deepEqual(store.get(Uint8Array.of(1)), Uint8Array.of(2));
  });
});
