/**
 * Properties of the checker over generated histories (fast-check): a history
 * recorded from a real sequential execution, with calls and returns spread
 * around each effect by other clients' steps, is always linearizable, and the
 * order the search finds is a real linearization; corrupting one read to a
 * value never written always makes it non-linearizable, and shrinking points
 * at exactly that read.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { SeededRng } from "../../src/lib/rng.js";
import { checkOperations } from "./check.js";
import { ILLEGAL, type Operation, UNKNOWN } from "./model.js";
import { type KvInput, type KvOutput, kvModel } from "./models/kv.js";
import { searchLinearization } from "./search.js";
import { historyFromSteps, randomSteps, type Step } from "./testing/generate-history.js";

type KvOperation = Operation<KvInput, KvOutput>;

const key = fc.constantFrom("a", "b");
const value = fc.constantFrom("x", "y", "1", "7");
const command: fc.Arbitrary<KvInput> = fc.oneof(
  { arbitrary: key.map((k): KvInput => ({ cmd: "GET", key: k })), weight: 4 },
  {
    arbitrary: fc.tuple(key, value).map(([k, v]): KvInput => ({ cmd: "SET", key: k, value: v })),
    weight: 2,
  },
  {
    arbitrary: fc
      .tuple(key, value, fc.constantFrom("NX" as const, "XX" as const))
      .map(([k, v, cond]): KvInput => ({ cmd: "SET", key: k, value: v, cond })),
    weight: 1,
  },
  { arbitrary: key.map((k): KvInput => ({ cmd: "DEL", key: k })), weight: 1 },
  { arbitrary: key.map((k): KvInput => ({ cmd: "INCR", key: k })), weight: 2 },
  {
    arbitrary: fc.tuple(key, value).map(([k, v]): KvInput => ({ cmd: "GETSET", key: k, value: v })),
    weight: 1,
  },
  {
    arbitrary: fc.tuple(key, value).map(([k, v]): KvInput => ({ cmd: "APPEND", key: k, value: v })),
    weight: 1,
  },
);
const step: fc.Arbitrary<Step> = fc.record({
  client: fc.integer({ min: 0, max: 4 }),
  command,
  cut: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
});
// size "max": without it fast-check keeps arrays to a handful of steps, too few to overlap much.
const steps = fc.array(step, { minLength: 1, maxLength: 150, size: "max" });
const NEVER_WRITTEN = "never written!";

/** Replays `order` through the model and checks it respects real time. */
function assertLinearization(ops: readonly KvOperation[], order: readonly number[]): void {
  let state = kvModel.init();
  order.forEach((i, position) => {
    const op = ops[i] as KvOperation;
    const next = kvModel.step(
      state,
      op.input,
      op.return === Number.POSITIVE_INFINITY ? UNKNOWN : op.output,
    );
    assert.notEqual(next, ILLEGAL, `step ${position} is not legal`);
    state = next as typeof state;
    for (const later of order.slice(position + 1)) {
      assert.ok(!((ops[later] as KvOperation).return < op.call), "order contradicts real time");
    }
  });
  const placed = new Set(order);
  ops.forEach((op, i) => {
    assert.ok(
      placed.has(i) || op.return === Number.POSITIVE_INFINITY,
      "an operation that returned was left out",
    );
  });
}

describe("checker properties", () => {
  it("finds every history of a real sequential execution linearizable, with a valid order", () => {
    fc.assert(
      fc.property(steps, (s) => {
        const history = historyFromSteps(s);
        assert.equal(checkOperations(kvModel, history).outcome, "ok");
        for (const ops of kvModel.partition!(history).values()) {
          const result = searchLinearization(kvModel, ops, {
            outOfTime: () => false,
            cacheEntriesMax: 1e6,
          });
          assert.ok(result.outcome === "ok");
          assertLinearization(ops, result.order);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("finds a history with one read corrupted to a value never written not linearizable", () => {
    fc.assert(
      fc.property(steps, fc.nat(), (s, pick) => {
        const history = historyFromSteps(s);
        const reads = history.flatMap((op, i) =>
          op.input.cmd === "GET" && op.output !== UNKNOWN ? [i] : [],
        );
        fc.pre(reads.length > 0);
        const corrupted = reads[pick % reads.length] as number;
        const bad = history.map((op, i) =>
          i === corrupted ? { ...op, output: NEVER_WRITTEN } : op,
        );
        const result = checkOperations(kvModel, bad, { shrinkStepsMax: 100_000 });
        assert.equal(result.outcome, "illegal");
        assert.ok(result.outcome === "illegal");
        if (result.violation.coreMinimal === true) {
          assert.deepEqual(result.violation.core, [bad[corrupted]]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("finds histories of eight clients on one hot key linearizable", () => {
    for (let seed = 1; seed <= 100; seed++) {
      const shape = { clients: 8, keys: 1, operations: 60, cutProbability: 0.02 };
      const history = historyFromSteps(randomSteps(new SeededRng(seed), shape));
      assert.equal(checkOperations(kvModel, history).outcome, "ok", `seed ${seed}`);
    }
  });
});
