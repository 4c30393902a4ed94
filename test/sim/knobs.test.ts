/**
 * The simulator must catch each deliberate bug (see knobs.ts) within 1,000
 * seeds: it stops at the first failing seed and reports how many it took.
 * A simulator that cannot catch these would prove nothing by passing.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KNOBS } from "./knobs.js";
import { runSimCli } from "./run-cli.js";

const SEEDS_MAX = 1000;

describe("the simulator catches each deliberately broken variant", () => {
  for (const knob of KNOBS) {
    it(`catches ${knob} within ${SEEDS_MAX} seeds`, async () => {
      const r = await runSimCli([
        "--seeds",
        String(SEEDS_MAX),
        "--knob",
        knob,
        "--stop-on-failure",
        "--jobs",
        "2",
      ]);
      assert.ok(r.failures > 0, `${knob} went unnoticed for ${r.seeds} seeds`);
      const failure = r.output.split("\n").find((l) => l.startsWith("FAIL seed")) ?? "";
      console.log(`${knob}: caught after ${r.firstFailureAfter} seeds — ${failure.slice(0, 200)}`);
    });
  }
});
