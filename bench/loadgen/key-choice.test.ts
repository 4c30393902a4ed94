import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keyChooser, seededRandom } from "./key-choice.js";
import { keySlot } from "./key-slot.js";
import { keyName } from "./keys.js";

describe("key choice", () => {
  it("keeps zipfian keys inside the key space and makes a few keys hot", () => {
    const keys = 10_000;
    const choose = keyChooser("zipfian", keys, seededRandom(1));
    const counts = new Map<number, number>();
    for (let i = 0; i < 100_000; i++) {
      const k = choose();
      assert.ok(k >= 0 && k < keys && Number.isInteger(k));
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const top = [...counts.values()].sort((a, b) => b - a);
    assert.ok(top[0]! > (100_000 / keys) * 50, "the hottest key is far above the uniform share");
    assert.ok(counts.size > keys / 4, "the draws are scattered over the key space");
  });

  it("hands out every key once in sequential mode", () => {
    const choose = keyChooser("sequential", 5, seededRandom(1), 0.99, 2);
    assert.deepEqual([choose(), choose(), choose()], [2, 3, 4]);
  });

  it("names keys like redis-benchmark's -r does", () => {
    assert.equal(keyName(42), "key:000000000042");
  });

  it("computes Redis Cluster slots (CRC16-XMODEM, hash tags)", () => {
    assert.equal(keySlot(Buffer.from("123456789")), 0x31c3 & 16383);
    assert.equal(keySlot(Buffer.from("{user1000}.following")), keySlot(Buffer.from("user1000")));
    assert.equal(keySlot(Buffer.from("foo")), 12182);
  });
});
