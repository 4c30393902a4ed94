import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { logIndex, nodeId, rangeId, term } from "../lib/index.js";
import { isLogStorageError } from "../raft/index.js";
import type { Entry } from "../raft/types.js";
import { Store as LmdbStore, LOG_TAIL_ENTRIES_MIN, LOG_TAIL_STORE_ENTRIES } from "./store.js";
import { ONE_VOTER } from "./testing/conf.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const CONF = ONE_VOTER;
const entry = (index: number, t: number, data = `e${index}`): Entry => ({
  index: logIndex(index),
  term: term(t),
  type: "normal",
  data: new TextEncoder().encode(data),
});
const indexes = (es: readonly Entry[]) => es.map((e) => e.index as number);

/** A store whose range 1 keeps only `tail` entries in memory. */
async function openStore(tail: number, dir?: string): Promise<{ store: LmdbStore; dir: string }> {
  const d = dir ?? mkdtempSync(join(tmpdir(), "tessera-log-"));
  if (!dir) dirs.push(d);
  const store = await LmdbStore.open({
    dataDir: d,
    create: { clusterId: "c", nodeId: nodeId(1), nowMs: 0 },
    logTailEntriesMax: tail,
  });
  store.bootstrapRange(rangeId(1), CONF);
  return { store, dir: d };
}

async function append(store: LmdbStore, entries: Entry[]): Promise<void> {
  const batch = store.newBatch();
  batch.append(store.logStorage(rangeId(1)), entries);
  await store.commit(batch);
}

describe("RangeLogStorage", () => {
  it("reads entries across the LMDB part and the in-memory tail", async () => {
    const { store } = await openStore(3);
    const log = store.logStorage(rangeId(1));
    await append(
      store,
      [1, 2, 3, 4, 5, 6].map((i) => entry(i, 1)),
    );
    assert.equal(log.firstIndex(), 1);
    assert.equal(log.lastIndex(), 6);
    assert.deepEqual(indexes(log.entries(logIndex(1), logIndex(7), 1e9)), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(indexes(log.entries(logIndex(2), logIndex(5), 1e9)), [2, 3, 4]);
    assert.equal(log.term(logIndex(2)), 1);
    assert.equal(log.term(logIndex(0)), 0);
    await store.close();
  });

  it("shares the store's tail budget between its ranges, trimming a tail once per many appends", async () => {
    const { store } = await openStore(4096);
    const log = store.logStorage(rangeId(1));
    // One range alone keeps up to its own limit (and a quarter more before a trim).
    for (let i = 1; i <= 6000; i += 100)
      await append(
        store,
        Array.from({ length: 100 }, (_, k) => entry(i + k, 1)),
      );
    assert.ok(log.tailLength >= 4096 && log.tailLength <= 5120, `tail ${log.tailLength}`);
    // With many ranges, each keeps its share of the store's budget.
    const ranges = LOG_TAIL_STORE_ENTRIES / LOG_TAIL_ENTRIES_MIN;
    for (let r = 2; r <= ranges; r++) store.bootstrapRange(rangeId(r), CONF);
    for (let r = 2; r <= ranges; r++) store.logStorage(rangeId(r));
    const share = Math.floor(LOG_TAIL_STORE_ENTRIES / ranges);
    await append(store, [entry(6001, 1)]);
    assert.equal(log.tailLength, share);
    // Entries out of the tail are read from the store.
    assert.deepEqual(indexes(log.entries(logIndex(1), logIndex(4), 1e9)), [1, 2, 3]);
    // The next appends do not trim at each one.
    for (let i = 6002; i < 6002 + share / 4; i++) await append(store, [entry(i, 1)]);
    assert.equal(log.tailLength, share + share / 4);
    await store.close();
  });

  it("limits entries by bytes but always returns at least one", async () => {
    const { store } = await openStore(2);
    const log = store.logStorage(rangeId(1));
    await append(
      store,
      [1, 2, 3, 4].map((i) => entry(i, 1, "x".repeat(100))),
    );
    assert.deepEqual(indexes(log.entries(logIndex(1), logIndex(5), 1)), [1]);
    assert.deepEqual(indexes(log.entries(logIndex(1), logIndex(5), 250)), [1, 2]);
    assert.deepEqual(indexes(log.entries(logIndex(3), logIndex(5), 1)), [3]);
    await store.close();
  });

  it("replaces a conflicting suffix, in memory and on disk", async () => {
    const { store, dir } = await openStore(2);
    const log = store.logStorage(rangeId(1));
    await append(
      store,
      [1, 2, 3, 4, 5].map((i) => entry(i, 1)),
    );
    await append(store, [entry(2, 2, "new2"), entry(3, 2, "new3")]);
    assert.equal(log.lastIndex(), 3);
    assert.deepEqual(
      log.entries(logIndex(1), logIndex(4), 1e9).map((e) => e.term as number),
      [1, 2, 2],
    );
    assert.throws(
      () => log.term(logIndex(4)),
      (e) => isLogStorageError(e, "UNAVAILABLE"),
    );
    await store.close();
    const { store: again } = await openStore(2, dir);
    const log2 = again.logStorage(rangeId(1));
    assert.equal(log2.lastIndex(), 3);
    assert.equal(
      new TextDecoder().decode(log2.entries(logIndex(3), logIndex(4), 1e9)[0]!.data),
      "new3",
    );
    await again.close();
  });

  it("reports COMPACTED below the truncation point and keeps the truncated term", async () => {
    const { store, dir } = await openStore(10);
    const log = store.logStorage(rangeId(1));
    await append(
      store,
      [1, 2, 3, 4].map((i) => entry(i, i)),
    );
    const applyBatch = store.newBatch();
    applyBatch.apply(log, () => ({ index: logIndex(4), term: term(4), confState: CONF }));
    await store.commit(applyBatch);
    const batch = store.newBatch();
    batch.truncate(log, logIndex(2));
    await store.commit(batch);
    assert.equal(log.firstIndex(), 3);
    assert.equal(log.term(logIndex(2)), 2);
    assert.throws(
      () => log.entries(logIndex(2), logIndex(4), 1e9),
      (e) => isLogStorageError(e, "COMPACTED"),
    );
    assert.throws(
      () => log.term(logIndex(1)),
      (e) => isLogStorageError(e, "COMPACTED"),
    );
    // A snapshot describes the applied state, not the truncation point.
    assert.equal(log.snapshot().metadata.index, 4);
    assert.equal(log.snapshot().metadata.term, 4);
    await store.close();
    const { store: again } = await openStore(10, dir);
    const log2 = again.logStorage(rangeId(1));
    assert.equal(log2.firstIndex(), 3);
    assert.equal(log2.lastIndex(), 4);
    await again.close();
  });

  it("restarts with the commit index lifted to the applied index when the stored one lags", async () => {
    // Replicas write their hard state for a new term or vote, not for every
    // commit (range/replica.ts), so the stored commit index may lag what was applied.
    const { store, dir } = await openStore(10);
    const log = store.logStorage(rangeId(1));
    await append(
      store,
      [1, 2, 3, 4, 5].map((i) => entry(i, 3)),
    );
    const hs = store.newBatch();
    hs.setHardState(log, { term: term(3), vote: nodeId(1), commit: logIndex(2) });
    await store.commit(hs);
    const applyBatch = store.newBatch();
    applyBatch.apply(log, () => ({ index: logIndex(4), term: term(3), confState: CONF }));
    await store.commit(applyBatch);
    await store.close();
    const { store: again } = await openStore(10, dir);
    const state = again.logStorage(rangeId(1)).initialState();
    assert.deepEqual(state.hardState, { term: 3, vote: 1, commit: 4 });
    // A stored commit index ahead of the applied one is kept.
    const log2 = again.logStorage(rangeId(1));
    const ahead = again.newBatch();
    ahead.setHardState(log2, { term: term(3), vote: nodeId(1), commit: logIndex(5) });
    await again.commit(ahead);
    await again.close();
    const { store: third } = await openStore(10, dir);
    assert.equal(third.logStorage(rangeId(1)).initialState().hardState.commit, 5);
    await third.close();
  });
});

describe("StoreBatch", () => {
  it("takes each kind of work of a range once per batch, a snapshot only before an append", async () => {
    const { store } = await openStore(8);
    store.bootstrapRange(rangeId(2), CONF);
    const log1 = store.logStorage(rangeId(1));
    const log2 = store.logStorage(rangeId(2));
    const hs = { term: term(1), vote: nodeId(1), commit: logIndex(0) };
    const batch = store.newBatch();
    batch.append(log1, [entry(1, 1)]);
    // Other kinds of the same range, and the same kind of another range, are fine.
    batch.setHardState(log1, hs);
    batch.append(log2, [entry(1, 1)]);
    assert.throws(() => batch.append(log1, [entry(2, 1)]), /two 'append' operations/);
    assert.throws(() => batch.setHardState(log1, hs), /two 'hard' operations/);
    const meta = { index: logIndex(5), term: term(1), confState: CONF };
    assert.throws(
      () => batch.installSnapshot(log1, meta, [], []),
      /snapshot staged after an append/,
    );
    await store.commit(batch);
    assert.deepEqual(indexes(log1.entries(logIndex(1), logIndex(2), 1e9)), [1]);
    await store.close();
  });
});
