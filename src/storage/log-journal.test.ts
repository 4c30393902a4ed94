/**
 * The log journal (log-journal.ts): new entries of every range go to one run
 * of keys and move to the ranges' own logs in bulk. What a range's log says
 * must never depend on where its entries are: before a move, after it, and
 * after a store that stopped with records in the journal opens again.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { logIndex, nodeId, type RangeId, rangeId, TesseraError, term } from "../lib/index.js";
import type { Entry } from "../raft/types.js";
import type { LogJournalLimits } from "./log-journal.js";
import { MemoryEngine } from "./memory-engine.js";
import { logKey } from "./raft-codec.js";
import { Store } from "./store.js";
import { ONE_VOTER } from "./testing/conf.js";

const CONF = ONE_VOTER;
const R1 = rangeId(1);
const R2 = rangeId(2);

const entry = (index: number, t: number, bytes = 8): Entry => ({
  index: logIndex(index),
  term: term(t),
  type: "normal",
  data: new Uint8Array(bytes).fill(index & 0xff),
});
const run = (from: number, to: number, t: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => entry(from + i, t));

const LIMITS: LogJournalLimits = {
  recordsMax: 1_000,
  bytesMax: 1 << 20,
  entryBytesMax: 256,
  appendEntriesMax: 100,
};

function open(engine: MemoryEngine, limits = LIMITS): Store {
  const store = Store.openEngine(engine, {
    create: { clusterId: "c", nodeId: nodeId(1), nowMs: 0 },
    // Only the newest entry stays in memory: reads of the rest go to the store.
    logTailEntriesMax: 1,
    journalLimits: limits,
  });
  store.bootstrapRange(R1, CONF);
  store.bootstrapRange(R2, CONF);
  return store;
}

async function append(store: Store, range: RangeId, entries: Entry[]): Promise<void> {
  const batch = store.newBatch();
  batch.append(store.logStorage(range), entries);
  await store.commit(batch);
}

/** Each entry of the range's log as index:term, read through the store (not its tail). */
function terms(store: Store, range: RangeId): string[] {
  const log = store.logStorage(range);
  const es = log.entries(log.firstIndex(), logIndex(log.lastIndex() + 1), 1e9);
  for (const e of es) assert.equal(log.term(e.index), e.term);
  return es.map((e) => `${e.index}:${e.term}`);
}

const journalKeys = (engine: MemoryEngine) => [...engine.db("raft-journal").range({})].length;
/** Keys of entries below `index` in the range's own run of raft-log. */
const keysBelow = (engine: MemoryEngine, range: number, index: number) =>
  [...engine.db("raft-log").range({ start: logKey(range, 0), end: logKey(range, index) })].length;
const logKeys = (engine: MemoryEngine, range: number) =>
  [...engine.db("raft-log").range({ start: logKey(range, 0), end: logKey(range + 1, 0) })].length;

describe("log journal", () => {
  it("takes every range's entries and moves them to the ranges' logs once full", async () => {
    const engine = new MemoryEngine();
    const store = open(engine, { ...LIMITS, recordsMax: 10 });
    await append(store, R1, run(1, 4, 1));
    await append(store, R2, run(1, 4, 1));
    assert.equal(journalKeys(engine), 8);
    assert.equal(store.stats().journalRecords, 8);
    assert.equal(logKeys(engine, 1), 0, "nothing in range 1's own keys yet");
    assert.deepEqual(terms(store, R1), ["1:1", "2:1", "3:1", "4:1"]);
    // The 10th record fills the journal: the same round moves all of them.
    await append(store, R1, run(5, 6, 1));
    assert.equal(journalKeys(engine), 0);
    assert.equal(store.stats().journalRecords, 0);
    assert.equal(store.stats().journalCheckpointsTotal, 1);
    assert.equal(logKeys(engine, 1), 6);
    assert.equal(logKeys(engine, 2), 4);
    assert.deepEqual(terms(store, R1), ["1:1", "2:1", "3:1", "4:1", "5:1", "6:1"]);
    assert.deepEqual(terms(store, R2), ["1:1", "2:1", "3:1", "4:1"]);
  });

  it("gives a store that stopped with records the same logs when it opens", async () => {
    const engine = new MemoryEngine();
    const store = open(engine);
    await append(store, R1, run(1, 5, 1));
    await append(store, R2, run(1, 3, 2));
    const before = [terms(store, R1), terms(store, R2)];
    // No close: as after a crash, the records are still in the journal.
    const reopened = open(engine, { ...LIMITS, recordsMax: 10 });
    assert.equal(reopened.logStorage(R1).lastIndex(), 5);
    assert.equal(reopened.logStorage(R2).lastIndex(), 3);
    assert.deepEqual([terms(reopened, R1), terms(reopened, R2)], before);
    // They are moved with the next checkpoint, after the records written since.
    await append(reopened, R1, run(6, 7, 1));
    assert.equal(journalKeys(engine), 0);
    assert.deepEqual(terms(open(engine), R1), [...before[0]!, "6:1", "7:1"]);
    assert.deepEqual(terms(open(engine), R2), before[1]);
  });

  it("replaces a conflicting suffix wherever its entries are", async () => {
    for (const movedFirst of [false, true]) {
      const engine = new MemoryEngine();
      const limits = movedFirst ? { ...LIMITS, recordsMax: 5 } : LIMITS;
      const store = open(engine, limits);
      await append(store, R1, run(1, 5, 1)); // moved at once when movedFirst
      assert.equal(journalKeys(engine), movedFirst ? 0 : 5);
      // A new leader's entries 3 and 4 replace 3..5 of the old term.
      await append(store, R1, run(3, 4, 2));
      const want = ["1:1", "2:1", "3:2", "4:2"];
      assert.deepEqual(terms(store, R1), want, `movedFirst=${movedFirst}`);
      const reopened = open(engine, limits);
      assert.equal(reopened.logStorage(R1).lastIndex(), 4, "entry 5 of the old term is gone");
      assert.deepEqual(terms(reopened, R1), want, `reopened, movedFirst=${movedFirst}`);
      assert.equal(keysBelow(engine, 1, 6) - keysBelow(engine, 1, 5), 0, "no key of entry 5");
    }
  });

  it("forgets the records of entries compacted away, and of a range removed", async () => {
    const engine = new MemoryEngine();
    const store = open(engine);
    await append(store, R1, run(1, 6, 1));
    await append(store, R2, run(1, 3, 1));
    // Compaction needs the entries applied first.
    const log = store.logStorage(R1);
    const applyBatch = store.newBatch();
    applyBatch.apply(log, () => ({ index: logIndex(4), term: term(1), confState: CONF }));
    await store.commit(applyBatch);
    const truncate = store.newBatch();
    truncate.truncate(log, logIndex(4));
    await store.commit(truncate);
    assert.equal(journalKeys(engine), 2 + 3);
    assert.deepEqual(terms(store, R1), ["5:1", "6:1"]);
    store.dropRangeState(R2);
    assert.equal(journalKeys(engine), 2);
    const reopened = open(engine);
    assert.deepEqual(terms(reopened, R1), ["5:1", "6:1"]);
    assert.equal(keysBelow(engine, 1, 5), 0, "nothing below the compaction point came back");
    assert.equal(reopened.logStorage(R2).lastIndex(), 0, "range 2 (bootstrapped again) is empty");
  });

  it("writes a big entry straight to its range's log", async () => {
    const engine = new MemoryEngine();
    const store = open(engine);
    await append(store, R1, [entry(1, 1), entry(2, 1, 1000), entry(3, 1)]);
    assert.equal(journalKeys(engine), 2);
    assert.equal(logKeys(engine, 1), 1);
    assert.deepEqual(terms(store, R1), ["1:1", "2:1", "3:1"]);
    // Replacing entries 2.. removes the records of 3 (the big 2 is overwritten in place).
    await append(store, R1, [entry(2, 2), entry(3, 2, 1000)]);
    const reopened = open(engine);
    assert.deepEqual(terms(reopened, R1), ["1:1", "2:2", "3:2"]);
  });

  it("writes a long append of one range straight to its log, over and under records", async () => {
    const engine = new MemoryEngine();
    const limits = { ...LIMITS, appendEntriesMax: 3 };
    const store = open(engine, limits);
    await append(store, R1, run(1, 3, 1)); // 3 entries: the journal
    assert.equal(journalKeys(engine), 3);
    await append(store, R1, run(4, 9, 1)); // 6 entries: straight to raft-log
    assert.equal(journalKeys(engine), 3);
    assert.equal(logKeys(engine, 1), 6);
    // A new leader replaces 2.. with a long append: the records of 2 and 3 go,
    // the keys of 4..9 are overwritten or removed.
    await append(store, R1, run(2, 6, 2));
    assert.equal(journalKeys(engine), 1);
    const want = ["1:1", "2:2", "3:2", "4:2", "5:2", "6:2"];
    assert.deepEqual(terms(store, R1), want);
    // And a short append replaces the end of a long one from the journal.
    await append(store, R1, run(6, 6, 3));
    const reopened = open(engine, limits);
    assert.equal(reopened.logStorage(R1).lastIndex(), 6);
    assert.deepEqual(terms(reopened, R1), [...want.slice(0, 5), "6:3"]);
  });

  it("keeps nothing of a batch that failed", async () => {
    const engine = new MemoryEngine();
    const store = open(engine, { ...LIMITS, recordsMax: 4 });
    await append(store, R1, run(1, 3, 1));
    const batch = store.newBatch();
    batch.append(store.logStorage(R2), run(1, 2, 1)); // would also fill the journal
    batch.write(() => {
      throw new TesseraError("INTERNAL", "injected");
    });
    await assert.rejects(store.commit(batch), /injected/);
    assert.equal(journalKeys(engine), 3);
    assert.equal(logKeys(engine, 1), 0, "the aborted round moved nothing");
    assert.deepEqual(terms(store, R1), ["1:1", "2:1", "3:1"]);
    assert.equal(store.logStorage(R2).lastIndex(), 0);
    // The next round works from the journal as it was.
    await append(store, R1, run(4, 4, 1));
    assert.equal(journalKeys(engine), 0);
    assert.equal(logKeys(engine, 2), 0, "range 2's aborted entries were not moved");
    const reopened = open(engine);
    assert.deepEqual(terms(reopened, R1), ["1:1", "2:1", "3:1", "4:1"]);
    assert.equal(reopened.logStorage(R2).lastIndex(), 0);
  });
});
