/**
 * The search on small hand-made histories of a register: each case is a few
 * operations drawn as intervals, with the answer worked out by hand.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkOperations } from "./check.js";
import { type Operation, UNKNOWN } from "./model.js";
import { type RegisterInput, type RegisterOutput, registerModel } from "./models/register.js";
import { searchLinearization } from "./search.js";

type Op = Operation<RegisterInput, RegisterOutput>;
const INF = Number.POSITIVE_INFINITY;

const write = (clientId: number, value: number, call: number, ret: number): Op => ({
  clientId,
  input: { f: "write", value },
  output: ret === INF ? UNKNOWN : null,
  call,
  return: ret,
});
const read = (clientId: number, value: number | null, call: number, ret: number): Op => ({
  clientId,
  input: { f: "read" },
  output: value,
  call,
  return: ret,
});
const cas = (
  clientId: number,
  from: number,
  to: number,
  ok: boolean,
  call: number,
  ret: number,
): Op => ({
  clientId,
  input: { f: "cas", from, to },
  output: ret === INF ? UNKNOWN : ok,
  call,
  return: ret,
});

const outcome = (ops: Op[]) => checkOperations(registerModel, ops).outcome;

describe("search (Wing & Gong with Lowe's memo)", () => {
  it("accepts the empty history", () => {
    assert.equal(outcome([]), "ok");
  });

  it("accepts a sequential history that follows the register", () => {
    assert.equal(
      outcome([
        read(0, null, 0, 1),
        write(0, 1, 2, 3),
        read(1, 1, 4, 5),
        write(1, 2, 6, 7),
        read(0, 2, 8, 9),
      ]),
      "ok",
    );
  });

  it("rejects a sequential read of a value that was overwritten (a stale read)", () => {
    const ops = [write(0, 1, 0, 1), write(1, 2, 2, 3), read(2, 1, 4, 5)];
    const result = checkOperations(registerModel, ops);
    assert.equal(result.outcome, "illegal");
    assert.ok(result.outcome === "illegal");
    assert.equal(result.violation.stuck, ops[2]);
    assert.deepEqual(result.violation.core, ops);
  });

  it("orders overlapping operations whichever way the outputs need", () => {
    // write 1 overlaps both reads: one saw the old value, the other the new.
    assert.equal(outcome([write(0, 1, 0, 10), read(1, 1, 1, 3), read(2, null, 4, 6)]), "illegal");
    assert.equal(outcome([write(0, 1, 0, 10), read(1, null, 1, 3), read(2, 1, 4, 6)]), "ok");
    assert.equal(outcome([write(0, 1, 0, 10), read(1, 1, 1, 6), read(2, null, 2, 5)]), "ok");
  });

  it("places concurrent writes in the order that later reads observe", () => {
    const ops = [
      write(0, 1, 0, 5),
      write(1, 2, 1, 6),
      write(2, 3, 2, 7),
      read(0, 2, 8, 9),
      read(1, 2, 10, 11),
    ];
    assert.equal(outcome(ops), "ok");
    assert.equal(outcome([...ops, read(2, 3, 12, 13)]), "illegal");
  });

  it("assumes an unknown-outcome write took effect when a later read needs it", () => {
    assert.equal(outcome([write(0, 1, 0, 1), write(1, 2, 2, INF), read(2, 2, 10, 11)]), "ok");
  });

  it("lets an unknown-outcome write take effect long after its call", () => {
    assert.equal(
      outcome([write(1, 2, 0, INF), write(0, 1, 1, 2), read(2, 1, 3, 4), read(2, 2, 5, 6)]),
      "ok",
    );
  });

  it("assumes an unknown-outcome write never took effect when later reads deny it", () => {
    assert.equal(
      outcome([write(0, 1, 0, 1), write(1, 2, 2, INF), read(2, 1, 10, 11), read(2, 1, 12, 13)]),
      "ok",
    );
  });

  it("does not let an unknown-outcome write take effect and then be undone", () => {
    assert.equal(
      outcome([write(0, 1, 0, 1), write(1, 2, 2, INF), read(2, 2, 10, 11), read(2, 1, 12, 13)]),
      "illegal",
    );
  });

  it("does not let an unknown-outcome write take effect before its call", () => {
    assert.equal(outcome([read(2, 2, 0, 1), write(1, 2, 2, INF)]), "illegal");
  });

  it("follows a chain of compare-and-sets", () => {
    const chain = [
      write(0, 0, 0, 1),
      cas(1, 0, 1, true, 2, 9),
      cas(2, 1, 2, true, 3, 9),
      cas(3, 2, 3, true, 4, 9),
    ];
    assert.equal(outcome([...chain, read(0, 3, 10, 11)]), "ok");
    assert.equal(outcome([...chain, read(0, 2, 10, 11)]), "illegal");
    // The middle link's outcome is unknown: the chain stops before it or goes through.
    const broken = [chain[0]!, chain[1]!, cas(2, 1, 2, true, 3, INF), chain[3]!];
    assert.equal(outcome([...broken, read(0, 3, 10, 11)]), "ok");
    assert.equal(outcome([...broken.slice(0, 3), read(0, 1, 10, 11)]), "ok");
  });

  it("checks the output of a compare-and-set that did not swap", () => {
    assert.equal(outcome([write(0, 5, 0, 1), cas(1, 4, 6, false, 2, 3), read(2, 5, 4, 5)]), "ok");
    assert.equal(outcome([write(0, 4, 0, 1), cas(1, 4, 6, false, 2, 3)]), "illegal");
  });

  it("rejects a compare-and-set that swapped a value never held", () => {
    assert.equal(outcome([write(0, 1, 0, 1), cas(1, 2, 3, true, 2, 3)]), "illegal");
  });

  it("treats intervals that only touch as concurrent", () => {
    // The read's call and the write's return share time 5.
    assert.equal(outcome([read(1, null, 5, 6), write(0, 1, 0, 5)]), "ok");
    assert.equal(outcome([read(1, null, 6, 7), write(0, 1, 0, 5)]), "illegal");
  });

  it("refuses a history whose operation returns before it is called", () => {
    assert.throws(() => outcome([write(0, 1, 5, 4)]), RangeError);
  });

  it("gives up with 'unknown' when the step limit is reached", () => {
    // Many concurrent writes and a read of a value none of them wrote: every order must be tried.
    const ops = [
      ...Array.from({ length: 14 }, (_, i) => write(i, i, 0, 100)),
      read(99, 99, 101, 102),
    ];
    const limited = searchLinearization(registerModel, ops, {
      outOfTime: () => false,
      cacheEntriesMax: 1e9,
      stepsMax: 5000,
    });
    assert.equal(limited.outcome, "unknown");
    assert.ok(limited.outcome === "unknown" && limited.reason === "steps");
    const checked = checkOperations(registerModel, ops, { stepsMax: 5000 });
    assert.ok(checked.outcome === "unknown" && checked.reason === "steps");
  });

  it("checks each partition a model declares on its own", () => {
    // Two registers in one history, told apart by a custom partition function.
    const byParity = {
      ...registerModel,
      partition: (ops: readonly Op[]) =>
        new Map([
          ["even", ops.filter((op) => op.clientId % 2 === 0)],
          ["odd", ops.filter((op) => op.clientId % 2 === 1)],
        ]),
    };
    const ops = [write(0, 1, 0, 1), write(1, 2, 2, 3), read(2, 1, 4, 5), read(3, 2, 6, 7)];
    assert.equal(checkOperations(registerModel, ops).outcome, "illegal");
    assert.equal(checkOperations(byParity, ops).outcome, "ok");
    const bad = checkOperations(byParity, [...ops, read(5, 1, 8, 9)]);
    assert.ok(bad.outcome === "illegal");
    assert.equal(bad.violation.partition, "odd");
  });

  it("gives up with 'unknown' when the time budget runs out", () => {
    const ops = [
      ...Array.from({ length: 16 }, (_, i) => write(i, i, 0, 100)),
      read(99, 99, 101, 102),
    ];
    let now = 0;
    const result = checkOperations(registerModel, ops, { budgetMs: 50, clock: () => now++ });
    assert.equal(result.outcome, "unknown");
    assert.ok(result.outcome === "unknown" && result.reason === "time");
  });

  it("gives up with 'unknown' when the memo reaches its bound", () => {
    const ops = [
      ...Array.from({ length: 16 }, (_, i) => write(i, i, 0, 100)),
      read(99, 99, 101, 102),
    ];
    const result = checkOperations(registerModel, ops, { cacheEntriesMax: 1000 });
    assert.ok(result.outcome === "unknown" && result.reason === "memory");
  });

  it("returns a valid linearization order when there is one", () => {
    const ops = [write(0, 1, 0, 10), read(1, null, 1, 3), read(2, 1, 4, 6), write(3, 7, 20, INF)];
    const result = searchLinearization(registerModel, ops, {
      outOfTime: () => false,
      cacheEntriesMax: 1000,
    });
    assert.ok(result.outcome === "ok");
    assert.deepEqual(result.order, [1, 0, 2]);
  });
});
