/**
 * The nemesis schedule is a pure function of its seed and never plans to
 * fault more than a minority at once, nor beyond the run.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { faultedNodesMax, makeSchedule } from "./schedule.js";

const BASE = { durationMs: 120_000, quietMs: 2_000 };

describe("nemesis schedule", () => {
  it("is the same for the same seed and differs for another", () => {
    const a = makeSchedule({ ...BASE, seed: 42, nodeCount: 5 });
    assert.deepEqual(makeSchedule({ ...BASE, seed: 42, nodeCount: 5 }), a);
    assert.notDeepEqual(makeSchedule({ ...BASE, seed: 43, nodeCount: 5 }), a);
  });

  it("faults distinct nodes, at most a minority per step, with steps apart and inside the run", () => {
    for (const nodeCount of [3, 4, 5, 7]) {
      for (let seed = 0; seed < 50; seed++) {
        const steps = makeSchedule({ ...BASE, seed, nodeCount });
        assert.ok(steps.length > 0);
        let freeFromMs = BASE.quietMs;
        for (const step of steps) {
          const nodes = step.faults.flatMap((f) => f.nodes.map((n) => n.index));
          assert.equal(new Set(nodes).size, nodes.length, "a node is faulted twice in a step");
          assert.ok(nodes.length <= faultedNodesMax(nodeCount));
          assert.ok(nodes.every((i) => i >= 0 && i < nodeCount));
          assert.ok(step.faults.filter((f) => f.kind === "partition").length <= 1);
          assert.ok(step.atMs >= freeFromMs, "a step starts before the previous one ends");
          freeFromMs = step.atMs + Math.max(...step.faults.map((f) => f.holdMs));
          assert.ok(freeFromMs <= BASE.durationMs - BASE.quietMs);
        }
      }
    }
  });

  it("has every kind of fault in its first three steps", () => {
    for (let seed = 0; seed < 20; seed++) {
      const steps = makeSchedule({ ...BASE, seed, nodeCount: 3 }).slice(0, 3);
      const kinds = new Set(steps.flatMap((s) => s.faults.map((f) => f.kind)));
      assert.deepEqual([...kinds].sort(), ["kill", "partition", "pause"]);
    }
  });
});
