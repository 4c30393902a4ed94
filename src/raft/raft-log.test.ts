import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AssertionError, logIndex, term } from "../lib/index.js";
import { Unstable } from "./log-unstable.js";
import { MemoryStorage } from "./memory-storage.js";
import { RaftLog } from "./raft-log.js";
import { isLogStorageError } from "./storage.js";
import { entriesWithTerms, entry } from "./testing/raft-harness.js";
import { EMPTY_CONF_STATE } from "./types.js";

function log(terms: number[], unstableTerms: number[] = []): RaftLog {
  const s = new MemoryStorage();
  s.append(entriesWithTerms(...terms));
  const l = new RaftLog(s, Number.MAX_SAFE_INTEGER);
  l.append(unstableTerms.map((t, i) => entry(t, terms.length + i + 1)));
  return l;
}

describe("raft log (§5.3)", () => {
  it("finds the first conflicting or new entry", () => {
    const l = log([1, 2, 3]);
    assert.equal(l.findConflict([]), 0);
    assert.equal(l.findConflict(entriesWithTerms(1, 2, 3)), 0);
    assert.equal(l.findConflict([entry(2, 2), entry(3, 3), entry(4, 4)]), 4);
    assert.equal(l.findConflict([entry(1, 1), entry(4, 2)]), 2);
  });

  it("finds the hint for fast backtracking: the last index ≤ i with term ≤ t", () => {
    const l = log([1, 1, 2, 2, 5, 5]);
    assert.deepEqual(l.findConflictByTerm(logIndex(6), term(4)), { index: 4, term: 2 });
    assert.deepEqual(l.findConflictByTerm(logIndex(6), term(5)), { index: 6, term: 5 });
    assert.deepEqual(l.findConflictByTerm(logIndex(4), term(1)), { index: 2, term: 1 });
    assert.deepEqual(l.findConflictByTerm(logIndex(2), term(0)), { index: 0, term: 0 });
  });

  it("appends after a matching entry and refuses to truncate committed entries", () => {
    const l = log([1, 2, 3]);
    assert.equal(l.maybeAppend(logIndex(3), term(9), logIndex(3), []), undefined);
    assert.equal(l.maybeAppend(logIndex(3), term(3), logIndex(4), [entry(4, 4)]), 4);
    assert.equal(l.committed, 4);
    assert.throws(
      () => l.maybeAppend(logIndex(1), term(1), logIndex(4), [entry(5, 2)]),
      AssertionError,
    );
    assert.throws(() => l.append([entry(5, 3)]), AssertionError);
  });

  it("never lets the commit index go back, nor beyond the last index", () => {
    const l = log([1, 2]);
    l.commitTo(logIndex(2));
    l.commitTo(logIndex(1));
    assert.equal(l.committed, 2);
    assert.throws(() => l.commitTo(logIndex(3)), AssertionError);
    assert.throws(() => l.appliedTo(logIndex(3)), AssertionError);
    assert.throws(() => l.acceptApplying(logIndex(3)), AssertionError);
  });

  it("judges up-to-dateness by last term, then last index (§5.4.1)", () => {
    const l = log([1, 2, 3]);
    assert.ok(l.isUpToDate(logIndex(1), term(4)));
    assert.ok(l.isUpToDate(logIndex(3), term(3)));
    assert.ok(!l.isUpToDate(logIndex(2), term(3)));
    assert.ok(!l.isUpToDate(logIndex(9), term(2)));
  });

  it("slices across stable and unstable entries within a byte limit", () => {
    const l = log([1, 2, 3], [4, 5]);
    assert.equal(l.slice(logIndex(1), logIndex(6), Number.MAX_SAFE_INTEGER).length, 5);
    assert.equal(l.slice(logIndex(2), logIndex(5), 16 * 3).length, 3);
    assert.equal(l.slice(logIndex(2), logIndex(5), 16 * 2).length, 2);
    assert.equal(l.slice(logIndex(3), logIndex(5), 16 * 1).length, 1);
    assert.equal(l.slice(logIndex(4), logIndex(6), 0).length, 1);
    assert.deepEqual(l.slice(logIndex(2), logIndex(2), 10), []);
    assert.throws(() => l.slice(logIndex(1), logIndex(9), 10), AssertionError);
    assert.equal(l.entries(logIndex(9), 10).length, 0);
    assert.match(l.toString(), /committed=0/);
  });

  it("reports compacted and unavailable terms as typed errors", () => {
    const s = new MemoryStorage();
    s.append(entriesWithTerms(1, 2, 3));
    s.compact(logIndex(2));
    const l = new RaftLog(s, 100);
    assert.equal(l.termOrUndefined(logIndex(1)), undefined);
    assert.equal(l.term(logIndex(2)), 2);
    assert.throws(
      () => l.term(logIndex(1)),
      (e) => isLogStorageError(e, "COMPACTED"),
    );
    assert.throws(
      () => l.term(logIndex(4)),
      (e) => isLogStorageError(e, "UNAVAILABLE"),
    );
    assert.throws(
      () => l.slice(logIndex(1), logIndex(3), 100),
      (e) => isLogStorageError(e, "COMPACTED"),
    );
    assert.equal(l.allEntries().length, 1);
  });

  it("restores from a snapshot and holds it until it is stable", () => {
    const l = log([1, 2]);
    const snap = {
      data: new Uint8Array(),
      metadata: { index: logIndex(5), term: term(3), confState: EMPTY_CONF_STATE },
    };
    l.restore(snap);
    assert.equal(l.committed, 5);
    assert.equal(l.firstIndex(), 6);
    assert.equal(l.lastIndex(), 5);
    assert.equal(l.lastTerm(), 3);
    assert.ok(l.hasNextUnstableSnapshot());
    assert.equal(l.nextCommittedEnts(true).length, 0);
    assert.equal(l.hasNextCommittedEnts(true), false);
    assert.equal(l.snapshot(), snap);
    l.acceptUnstable();
    assert.equal(l.nextUnstableSnapshot(), undefined);
    l.stableSnapTo(logIndex(5));
    assert.ok(!l.hasNextOrInProgressSnapshot());
  });
});

describe("unstable log", () => {
  it("truncates and appends at, before and after its offset", () => {
    const u = new Unstable(logIndex(5));
    u.truncateAndAppend([entry(1, 5), entry(1, 6)]);
    u.acceptInProgress();
    assert.equal(u.nextEntries().length, 0);
    u.truncateAndAppend([entry(2, 6), entry(2, 7)]);
    assert.equal(u.offsetInProgress, 6);
    assert.deepEqual(
      u.entries.map((e) => e.term),
      [1, 2, 2],
    );
    u.truncateAndAppend([entry(3, 4)]);
    assert.equal(u.offset, 4);
    assert.equal(u.entries.length, 1);
  });

  it("drops entries once stable, unless their term changed meanwhile", () => {
    const u = new Unstable(logIndex(1));
    u.truncateAndAppend([entry(1, 1), entry(1, 2)]);
    u.stableTo(logIndex(2), term(2));
    assert.equal(u.entries.length, 2);
    u.stableTo(logIndex(1), term(1));
    assert.equal(u.offset, 2);
    assert.equal(u.maybeTerm(logIndex(1)), undefined);
    u.stableTo(logIndex(9), term(1));
    assert.equal(u.entries.length, 1);
  });
});
