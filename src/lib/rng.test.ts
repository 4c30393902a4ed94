import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRng } from "./rng.js";

describe("SeededRng", () => {
  it("replays the same sequence from the same seed", () => {
    const a = new SeededRng(42);
    const b = new SeededRng(42);
    for (let i = 0; i < 1000; i++) assert.equal(a.nextU32(), b.nextU32());
  });

  it("gives different sequences for different seeds", () => {
    const a = new SeededRng(1);
    const b = new SeededRng(2);
    const same = Array.from({ length: 100 }, () => a.nextU32() === b.nextU32()).filter(Boolean);
    assert.ok(same.length < 3);
  });

  it("keeps intn within its bound and reaches every value", () => {
    const rng = new SeededRng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const v = rng.intn(10);
      assert.ok(v >= 0 && v < 10);
      seen.add(v);
    }
    assert.equal(seen.size, 10);
  });

  it("keeps float within [0, 1)", () => {
    const rng = new SeededRng(9);
    for (let i = 0; i < 10_000; i++) {
      const v = rng.float();
      assert.ok(v >= 0 && v < 1);
    }
  });
});
