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
  });

  it("refuses a reply of the wrong shape", () => {
    for (const bad of [
      {},
      [{ ...wire, keys: -1 }],
      [{ ...wire, opsPerSec: Number.NaN }],
      [{ ...wire, start: "x" }],
      [{ ...wire, generation: undefined }],
    ]) {
      assert.throws(
        () => readRangeLoads(bad),
        (e) => isTesseraError(e, "PROTOCOL"),
      );
    }
  });
});
