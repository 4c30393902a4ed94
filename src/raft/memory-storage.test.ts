import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AssertionError, logIndex, nodeId, term } from "../lib/index.js";
import { MemoryStorage } from "./memory-storage.js";
import { isLogStorageError } from "./storage.js";
import { entriesWithTerms, entry } from "./testing/raft-harness.js";
import { EMPTY_CONF_STATE } from "./types.js";

function storage(): MemoryStorage {
  // Entries 3..5 of terms 3, 4, 5 after a snapshot at 3.
  const s = new MemoryStorage();
  s.append(entriesWithTerms(1, 2, 3, 4, 5));
  s.createSnapshot(logIndex(3), undefined, new Uint8Array());
  s.compact(logIndex(3));
  return s;
}

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (isLogStorageError(e)) return e.code;
    throw e;
  }
  return "ok";
};

describe("MemoryStorage", () => {
  it("reports first and last index and terms around the snapshot", () => {
    const s = storage();
    assert.equal(s.firstIndex(), 4);
    assert.equal(s.lastIndex(), 5);
    assert.equal(s.term(logIndex(3)), 3);
    assert.equal(
      code(() => s.term(logIndex(2))),
      "COMPACTED",
    );
    assert.equal(
      code(() => s.term(logIndex(6))),
      "UNAVAILABLE",
    );
  });

  it("returns entries limited by size, and typed errors out of range", () => {
    const s = storage();
    assert.equal(s.entries(logIndex(4), logIndex(6), Number.MAX_SAFE_INTEGER).length, 2);
    assert.equal(s.entries(logIndex(4), logIndex(6), 0).length, 1);
    assert.equal(
      code(() => s.entries(logIndex(3), logIndex(5), 100)),
      "COMPACTED",
    );
    assert.equal(
      code(() => s.entries(logIndex(4), logIndex(7), 100)),
      "UNAVAILABLE",
    );
    assert.equal(
      code(() => new MemoryStorage().entries(logIndex(1), logIndex(1), 1)),
      "UNAVAILABLE",
    );
  });

  it("appends with truncation of a conflicting suffix and skips compacted entries", () => {
    const s = storage();
    s.append([entry(6, 5), entry(6, 6)]);
    assert.deepEqual(
      s.entries(logIndex(4), logIndex(7), 1e9).map((e) => e.term),
      [4, 6, 6],
    );
    s.append([entry(1, 1), entry(2, 2)]);
    assert.equal(s.lastIndex(), 6);
    s.append([]);
    assert.throws(() => s.append([entry(7, 9)]), AssertionError);
  });

  it("applies only newer snapshots and compacts only forward", () => {
    const s = storage();
    const snap = {
      data: new Uint8Array([1]),
      metadata: { index: logIndex(10), term: term(7), confState: EMPTY_CONF_STATE },
    };
    s.applySnapshot(snap);
    assert.equal(s.firstIndex(), 11);
    assert.equal(s.lastIndex(), 10);
    assert.equal(
      code(() => s.applySnapshot(snap)),
      "SNAPSHOT_OUT_OF_DATE",
    );
    assert.equal(
      code(() => s.createSnapshot(logIndex(9), undefined, new Uint8Array())),
      "SNAPSHOT_OUT_OF_DATE",
    );
    assert.equal(
      code(() => s.compact(logIndex(10))),
      "COMPACTED",
    );
    assert.throws(() => s.compact(logIndex(12)), AssertionError);
  });

  it("records the initial configuration and hard state", () => {
    const s = new MemoryStorage();
    const cs = { ...EMPTY_CONF_STATE, voters: [nodeId(1)] };
    s.bootstrap(cs);
    s.setHardState({ term: term(2), vote: nodeId(1), commit: logIndex(0) });
    assert.deepEqual(s.initialState(), { hardState: s.getHardState(), confState: cs });
    s.append([entry(1, 1)]);
    assert.throws(() => s.bootstrap(cs), AssertionError);
  });
});
