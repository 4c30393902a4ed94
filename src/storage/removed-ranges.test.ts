import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTesseraError, logIndex, term } from "../lib/index.js";
import {
  decodeLingeringTerm,
  decodeRemovedPosition,
  encodeLingeringTerm,
  encodeRemovedPosition,
  laterPosition,
  lingeringRangeKey,
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

  it("keep a lingering replica's term in a record of its own, checked the same way", () => {
    assert.equal(decodeLingeringTerm(encodeLingeringTerm(term(17))), 17);
    assert.notDeepEqual(lingeringRangeKey(3), removedRangeKey(3));
    const raw = encodeLingeringTerm(term(17));
    raw[7] ^= 0x01;
    assert.throws(
      () => decodeLingeringTerm(raw),
      (e) => isTesseraError(e, "CORRUPTION"),
    );
  });
});
