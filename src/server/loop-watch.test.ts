import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Timers } from "../lib/index.js";
import { LoopWatch } from "./loop-watch.js";

/** Timers that never fire: the test drives the probe and the windows. */
const still: Timers = {
  after: () => ({ cancel() {} }),
  every: () => ({ cancel() {} }),
  soon: () => {},
};

describe("LoopWatch", () => {
  it("reports each window's worst delay and counts and logs the stalls", () => {
    let now = 0;
    const warnings: unknown[] = [];
    const watch = new LoopWatch({
      timers: still,
      clock: { monotonicMs: () => now },
      logger: { warn: (obj: unknown) => warnings.push(obj) },
      stallWarnMs: 250,
    });
    watch.start();
    // A quiet window: every probe on time, one 40 ms late.
    for (const at of [10, 20, 30, 80, 90]) {
      now = at;
      watch.onProbe();
    }
    watch.endWindow();
    assert.deepEqual(watch.stats(), { delayMaxSeconds: 0.04, stallsTotal: 0 });
    assert.equal(warnings.length, 0);
    // The loop blocked for 300 ms: the next probe came 300 ms late.
    now = 400;
    watch.onProbe();
    watch.endWindow();
    assert.deepEqual(watch.stats(), { delayMaxSeconds: 0.3, stallsTotal: 1 });
    assert.deepEqual(warnings, [{ stallMs: 300 }]);
    // The window after is quiet again.
    now = 410;
    watch.onProbe();
    watch.endWindow();
    assert.deepEqual(watch.stats(), { delayMaxSeconds: 0, stallsTotal: 1 });
    watch.stop();
  });
});
