import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type MetricDef, ratio } from "./model.js";

const throughput: MetricDef = { key: "opsPerSec", label: "ops/s", unit: "ops/s", better: "higher" };
const latency: MetricDef = { key: "p99Ms", label: "p99", unit: "ms", better: "lower" };

describe("ratios", () => {
  it("are above 1 when Tessera is better, whichever way the metric points", () => {
    assert.equal(ratio(throughput, 200, 100), 2);
    assert.equal(ratio(latency, 1, 2), 2);
    assert.equal(ratio(latency, 4, 2), 0.5);
  });

  it("are undefined when a figure is missing or not positive", () => {
    assert.equal(ratio(throughput, undefined, 100), undefined);
    assert.equal(ratio(latency, 0, 2), undefined);
  });
});
