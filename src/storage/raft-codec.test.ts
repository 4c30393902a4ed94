import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTesseraError, logIndex, nodeId, term } from "../lib/index.js";
import {
  decodeAppliedState,
  decodeEntry,
  decodeHardState,
  encodeAppliedState,
  encodeEntry,
  encodeHardState,
  logKey,
  logKeyIndex,
} from "./raft-codec.js";

describe("raft codec", () => {
  it("orders log keys by range, then by index", () => {
    const keys = [
      logKey(1, 2 ** 40),
      logKey(2, 0),
      logKey(1, 1),
      logKey(1, 256),
      logKey(2 ** 33, 5),
    ];
    const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(sorted, [keys[2], keys[3], keys[0], keys[1], keys[4]]);
    assert.equal(logKeyIndex(logKey(7, 2 ** 50 + 3)), 2 ** 50 + 3);
  });

  it("round-trips entries, hard state and applied state", () => {
    const e = {
      index: logIndex(9),
      term: term(3),
      type: "conf-change" as const,
      data: new Uint8Array([1, 2, 3]),
    };
    assert.deepEqual(decodeEntry(logIndex(9), encodeEntry(e)), e);
    const hs = { term: term(5), vote: nodeId(2), commit: logIndex(2 ** 45) };
    assert.deepEqual(decodeHardState(encodeHardState(hs)), hs);
    const as = {
      index: logIndex(4),
      term: term(2),
      confState: {
        voters: [nodeId(1)],
        learners: [],
        votersOutgoing: [],
        learnersNext: [],
        autoLeave: false,
      },
    };
    assert.deepEqual(decodeAppliedState(encodeAppliedState(as)), as);
  });

  it("reports corrupt bytes as CORRUPTION", () => {
    assert.throws(
      () => decodeHardState(new Uint8Array(3)),
      (e) => isTesseraError(e, "CORRUPTION"),
    );
    assert.throws(
      () => decodeEntry(logIndex(1), new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0, 0])),
      (e) => isTesseraError(e, "CORRUPTION"),
    );
  });
});
