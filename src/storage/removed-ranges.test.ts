import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTesseraError, logIndex, term } from "../lib/index.js";
import {
  decodeRemovedPosition,
  encodeRemovedPosition,
  laterPosition,
  removedRangeKey,
} from "./removed-ranges.js";

const at = (index: number, t: number) => ({ index: logIndex(index), term: term(t) });

describe("removed ranges' log positions", () => {
  it("round-trip through their record, one key per range", () => {
    assert.deepEqual(decodeRemovedPosition(encodeRemovedPosition(at(29, 8))), at(29, 8));
    assert.notDeepEqual(removedRangeKey(1), removedRangeKey(12));
  });

  it("refuse a damaged or truncated record as CORRUPTION", () => {
    const raw = encodeRemovedPosition(at(29, 8));
    raw[3] ^= 0x40;
    assert.throws(
      () => decodeRemovedPosition(raw),
      (e) => isTesseraError(e, "CORRUPTION"),
    );
    const short = encodeRemovedPosition(at(29, 8)).subarray(0, 12);
    assert.throws(
      () => decodeRemovedPosition(short),
      (e) => isTesseraError(e, "CORRUPTION"),
    );
  });

  it("keep the later of two positions in Raft's order, term first", () => {
    assert.deepEqual(laterPosition(at(29, 8), at(40, 7)), at(29, 8));
    assert.deepEqual(laterPosition(at(29, 8), at(30, 8)), at(30, 8));
    assert.deepEqual(laterPosition(at(3, 9), at(30, 8)), at(3, 9));
  });
});
