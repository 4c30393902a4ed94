/**
 * The load meter: a range's rate runs over a sliding window of sampled ops
 * counters up to the counter as read, reading changes nothing (so the
 * planner and status never disturb each other), and a new generation or a
 * counter that went back starts a new window.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rangeId } from "../lib/index.js";
import { LoadMeter } from "./load-meter.js";

const R2 = rangeId(2);
const R3 = rangeId(3);
const at = (opsTotal: number, generation = 1) => ({ rangeId: R2, generation, opsTotal });

function meter() {
  return new LoadMeter({ sampleIntervalMs: 1000, windowSamples: 3, rateSpanMsMin: 500 });
}

describe("LoadMeter", () => {
  it("gives every reader the same rate for the same moment, however often they read", () => {
    const m = meter();
    m.maybeSample(0, [at(0)]);
    m.maybeSample(1000, [at(100)]);
    const planner = m.opsPerSec(at(300), 2000);
    const status = m.opsPerSec(at(300), 2000);
    for (let i = 0; i < 5; i++) m.opsPerSec(at(300), 2000);
    assert.equal(planner, 150);
    assert.equal(status, planner);
    assert.equal(m.opsPerSec(at(300), 2000), planner, "reading changed nothing");
  });

  it("measures over the last samples of the window, up to the counter as read", () => {
    const m = meter();
    m.maybeSample(0, [at(0)]);
    m.maybeSample(1000, [at(1000)]);
    m.maybeSample(2000, [at(1100)]);
    assert.equal(m.opsPerSec(at(1200), 2500), 480); // (1200 - 0) / 2.5 s
    m.maybeSample(3000, [at(1300)]);
    assert.equal(m.opsPerSec(at(1300), 3000), 150); // the sample at 0 left: (1300 - 1000) / 2 s
  });

  it("samples at most once per interval", () => {
    const m = meter();
    assert.equal(m.maybeSample(0, [at(0)]), true);
    assert.equal(m.maybeSample(999, [at(50)]), false);
    assert.equal(m.maybeSample(1000, [at(100)]), true);
  });

  it("reads 0 until the window spans rateSpanMsMin, and for a range never sampled", () => {
    const m = meter();
    assert.equal(m.opsPerSec(at(10), 0), 0);
    m.maybeSample(0, [at(0)]);
    assert.equal(m.opsPerSec(at(10), 400), 0);
    assert.equal(m.opsPerSec(at(10), 500), 20);
  });

  it("starts a new window when the generation changes (a split or merge) or the counter restarts", () => {
    const m = meter();
    m.maybeSample(0, [at(0)]);
    m.maybeSample(1000, [at(5000)]);
    assert.equal(m.opsPerSec(at(5000, 2), 1500), 0, "the new generation has no window yet");
    m.maybeSample(2000, [at(5000, 2)]);
    m.maybeSample(3000, [at(5100, 2)]);
    assert.equal(m.opsPerSec(at(5100, 2), 3000), 100);
    assert.equal(m.opsPerSec(at(7, 2), 3000), 0, "a counter that went back is a restarted replica");
    m.maybeSample(4000, [at(7, 2)]);
    m.maybeSample(5000, [at(57, 2)]);
    assert.equal(m.opsPerSec(at(57, 2), 5000), 50);
  });

  it("forgets ranges no longer sampled", () => {
    const m = meter();
    m.maybeSample(0, [at(0), { rangeId: R3, generation: 1, opsTotal: 0 }]);
    assert.equal(m.rangesTracked, 2);
    m.maybeSample(1000, [at(10)]);
    assert.equal(m.rangesTracked, 1);
    assert.equal(m.opsPerSec({ rangeId: R3, generation: 1, opsTotal: 10 }, 2000), 0);
  });
});
