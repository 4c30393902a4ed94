/**
 * Reading a `cluster.rangeLoads` reply: bytes arrive as views into a frame
 * (copied), an absent split key may arrive as nil, and a reply of the wrong
 * shape is a PROTOCOL error (the caller then treats the node as silent).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTesseraError } from "../lib/index.js";
import { readRangeLoads } from "./protocol.js";

const wire = {
  rangeId: 2,
  generation: 3,
  start: Buffer.from([1]),
  end: Buffer.from([1, 0, 0, 0, 1]),
  keys: 10,
  bytes: 640,
  opsPerSec: 2.5,
  splitKey: null,
};

describe("readRangeLoads", () => {
  it("reads a reply, copying its bytes", () => {
    const [l] = readRangeLoads([wire]);
    assert.equal(l?.rangeId, 2);
    assert.equal(l?.generation, 3);
    assert.deepEqual([...l!.end], [1, 0, 0, 0, 1]);
    assert.notEqual(l?.end.buffer, wire.end.buffer);
    assert.equal(l?.splitKey, undefined);
    assert.equal(l?.opsPerSec, 2.5);
    assert.equal(l?.members, undefined, "an older peer sends no members");
  });

  it("reads the members a leader reports", () => {
    const [l] = readRangeLoads([{ ...wire, members: { term: 7, voters: [1, 3], learners: [5] } }]);
    assert.deepEqual(l?.members, { term: 7, voters: [1, 3], learners: [5] });
  });

  it("refuses a reply of the wrong shape", () => {
    for (const bad of [
      {},
      [{ ...wire, keys: -1 }],
      [{ ...wire, opsPerSec: Number.NaN }],
      [{ ...wire, start: "x" }],
      [{ ...wire, generation: undefined }],
      [{ ...wire, members: { term: 1, voters: [0], learners: [] } }],
      [{ ...wire, members: { term: 1, voters: [1] } }],
      [{ ...wire, members: { voters: [1], learners: [] } }],
    ]) {
      assert.throws(
        () => readRangeLoads(bad),
        (e) => isTesseraError(e, "PROTOCOL"),
      );
    }
  });
});
