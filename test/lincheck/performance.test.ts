/**
 * How long a realistic history takes: 10,000 operations from 10 clients on 100
 * keys, every client's operation overlapping those of the others (about ten in
 * flight at any time), a few with unknown outcomes. The time is printed for
 * the record; the assertion bound is deliberately loose (a slow CI machine
 * must not fail it), the target being well under 10 s on two cores.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeededRng } from "../../src/lib/rng.js";
import { check } from "./index.js";
import { UNKNOWN } from "./model.js";
import { kvModel } from "./models/kv.js";
import { historyFromSteps, randomSteps } from "./testing/generate-history.js";

const CHECK_MS_MAX = 60_000;

describe("checker performance", () => {
  it("checks a 10,000-operation history of 10 clients on 100 keys", () => {
    const steps = randomSteps(new SeededRng(20261122), {
      clients: 10,
      keys: 100,
      operations: 10_000,
      cutProbability: 0.001,
    });
    const history = historyFromSteps(steps);
    const unknown = history.filter((op) => op.output === UNKNOWN).length;
    const started = performance.now();
    const result = check(kvModel, history, { budgetMs: CHECK_MS_MAX });
    const elapsedMs = performance.now() - started;
    console.log(
      `lincheck performance: ${history.length} operations (${unknown} unknown outcome), ` +
        `${result.partitions} keys, ${result.outcome} in ${elapsedMs.toFixed(0)} ms`,
    );
    assert.equal(result.outcome, "ok");
    assert.ok(history.length >= 10_000);
    assert.ok(elapsedMs < CHECK_MS_MAX);
  });
});
