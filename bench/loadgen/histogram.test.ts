import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Histogram } from "./histogram.js";

describe("latency histogram", () => {
  it("reports quantiles within 1/64 of the true value", () => {
    const h = new Histogram();
    for (let i = 1; i <= 100_000; i++) h.recordMs(i / 1000); // 1 µs .. 100 ms
    for (const [q, expectedMs] of [
      [0.5, 50],
      [0.99, 99],
      [0.999, 99.9],
    ] as const) {
      const got = h.quantileMs(q);
      assert.ok(Math.abs(got - expectedMs) / expectedMs < 1 / 64, `q${q}: ${got} vs ${expectedMs}`);
    }
  });

  it("merges by adding counts", () => {
    const a = new Histogram();
    const b = new Histogram();
    a.recordMs(1);
    b.recordMs(3);
    a.merge(b.snapshot());
    assert.equal(a.total, 2);
    assert.equal(a.maxUs, 3000);
    assert.equal(a.minUs, 1000);
  });
});
