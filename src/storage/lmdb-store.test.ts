import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { open } from "lmdb";
import { isTesseraError, logIndex, nodeId, rangeId, term } from "../lib/index.js";
import type { Entry } from "../raft/types.js";
import { encodeLingeringTerm, lingeringRangeKey } from "./removed-ranges.js";
import { Store as LmdbStore } from "./store.js";
import { IDENTITY_KEY } from "./store-identity.js";
import { ONE_VOTER } from "./testing/conf.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tessera-store-"));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const create = { clusterId: "c-test", nodeId: nodeId(1), nowMs: 1_700_000_000_000 };
const CONF = ONE_VOTER;
const R1 = rangeId(1);
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) =>
  b === undefined ? undefined : new TextDecoder().decode(b);
const entry = (index: number, t: number, data = `e${index}`): Entry => ({
  index: logIndex(index),
  term: term(t),
  type: "normal",
  data: bytes(data),
});

async function dataDirCode(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
  } catch (e) {
    return isTesseraError(e, "DATA_DIR");
  }
  return false;
}

describe("LmdbStore", () => {
  it("creates a store with its identity and finds it again on reopen", async () => {
    const dir = tempDir();
    const a = await LmdbStore.open({ dataDir: dir, create });
    assert.equal(a.identity.clusterId, "c-test");
    assert.equal(a.identity.nodeId, 1);
    await a.close();
    const b = await LmdbStore.open({
      dataDir: dir,
      create: { ...create, clusterId: "other", nodeId: nodeId(9) },
    });
    assert.equal(b.identity.clusterId, "c-test");
    assert.equal(b.identity.nodeId, 1);
    await b.close();
  });

  it("refuses a data directory that a live process holds", async () => {
    const dir = tempDir();
    const a = await LmdbStore.open({ dataDir: dir, create });
    assert.ok(await dataDirCode(() => LmdbStore.open({ dataDir: dir, create })));
    await a.close();
    const b = await LmdbStore.open({ dataDir: dir, create });
    await b.close();
  });

  it("takes over the lock of a process that died without releasing it", async () => {
    const dir = tempDir();
    const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
    const deadPid = Number(child.stdout.toString());
    writeFileSync(join(dir, "LOCK"), JSON.stringify({ pid: deadPid, startTicks: 1 }));
    const s = await LmdbStore.open({ dataDir: dir, create });
    await s.close();
  });

  it("refuses a file where the data directory should be", async () => {
    const dir = tempDir();
    const file = join(dir, "not-a-dir");
    writeFileSync(file, "x");
    assert.ok(await dataDirCode(() => LmdbStore.open({ dataDir: file, create })));
  });

  it("refuses a non-empty directory that is not a Tessera data directory", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "notes.txt"), "mine");
    assert.ok(await dataDirCode(() => LmdbStore.open({ dataDir: dir, create })));
  });

  it("refuses a store of another format version and releases its lock", async () => {
    const dir = tempDir();
    const s = await LmdbStore.open({ dataDir: dir, create });
    await s.close();
    const env = open({ path: join(dir, "store"), maxDbs: 16, overlappingSync: false });
    const meta = env.openDB<Uint8Array, Uint8Array>({
      name: "meta",
      keyEncoding: "binary",
      encoding: "binary",
    });
    const id = JSON.parse(text(meta.get(Buffer.from(IDENTITY_KEY)))!);
    await meta.put(
      Buffer.from(IDENTITY_KEY),
      Buffer.from(JSON.stringify({ ...id, formatVersion: 99 })),
    );
    await env.close();
    assert.ok(await dataDirCode(() => LmdbStore.open({ dataDir: dir, create })));
    assert.ok(
      await dataDirCode(() => LmdbStore.open({ dataDir: dir, create })),
      "still refused, not locked by the failed open",
    );
  });

  it("refuses a store directory holding something that is not LMDB", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "store"));
    writeFileSync(join(dir, "store", "data.mdb"), "garbage garbage garbage");
    assert.ok(await dataDirCode(() => LmdbStore.open({ dataDir: dir, create })));
  });

  it("commits log entries, hard state, data and the applied index in one batch", async () => {
    const dir = tempDir();
    const s = await LmdbStore.open({ dataDir: dir, create });
    s.bootstrapRange(R1, CONF);
    const log = s.logStorage(R1);
    const batch = s.newBatch();
    batch.append(log, [entry(1, 1), entry(2, 1)]);
    batch.setHardState(log, { term: term(1), vote: nodeId(1), commit: logIndex(2) });
    batch.apply(log, (w) => {
      w.put(bytes("k1"), bytes("v1"));
      assert.equal(text(w.get(bytes("k1"))), "v1", "a writer reads its own writes");
      return { index: logIndex(2), term: term(1), confState: CONF };
    });
    assert.equal(log.lastIndex(), 0, "nothing is visible before the commit");
    await s.commit(batch);
    assert.equal(log.lastIndex(), 2);
    assert.equal(log.applied().index, 2);
    assert.equal(text(s.kvView().get(bytes("k1"))), "v1");
    assert.equal(s.stats().commitsTotal, 1);
    await s.close();

    const t = await LmdbStore.open({ dataDir: dir, create });
    const log2 = t.logStorage(R1);
    assert.deepEqual(t.rangeIds(), [R1]);
    assert.equal(log2.lastIndex(), 2);
    assert.equal(log2.hardState().commit, 2);
    assert.equal(log2.applied().index, 2);
    assert.deepEqual(log2.initialState().confState.voters, [1]);
    assert.equal(text(log2.entries(logIndex(1), logIndex(3), 1e9)[1]!.data), "e2");
    assert.equal(text(t.kvView().get(bytes("k1"))), "v1");
    await t.close();
  });

  it("writes nothing of a batch that throws", async () => {
    const dir = tempDir();
    const s = await LmdbStore.open({ dataDir: dir, create });
    s.bootstrapRange(R1, CONF);
    const log = s.logStorage(R1);
    const batch = s.newBatch();
    batch.append(log, [entry(1, 1)]);
    batch.apply(log, (w) => {
      w.put(bytes("k"), bytes("v"));
      throw new Error("boom");
    });
    await assert.rejects(s.commit(batch), /boom/);
    assert.equal(log.lastIndex(), 0);
    assert.equal(s.kvView().get(bytes("k")), undefined);
    await s.close();
  });

  it("scans, counts and deletes key intervals", async () => {
    const dir = tempDir();
    const s = await LmdbStore.open({ dataDir: dir, create });
    s.bootstrapRange(R1, CONF);
    const log = s.logStorage(R1);
    const b1 = s.newBatch();
    b1.apply(log, (w) => {
      for (const k of ["a", "b", "c", "d"]) w.put(bytes(k), bytes(k.toUpperCase()));
      return { index: logIndex(0), term: term(0), confState: CONF };
    });
    await s.commit(b1);
    const view = s.kvView();
    assert.deepEqual(
      [...view.scan(bytes("b"), bytes("d"), 10)].map((e) => text(e.key)),
      ["b", "c"],
    );
    assert.equal([...view.scan(bytes("a"), bytes("z"), 2)].length, 2);
    assert.equal(view.count(bytes("a"), bytes("z")), 4);
    const b2 = s.newBatch();
    b2.apply(log, (w) => {
      w.deleteRange(bytes("b"), bytes("d"));
      return { index: logIndex(0), term: term(0), confState: CONF };
    });
    await s.commit(b2);
    assert.deepEqual(
      [...view.scan(bytes("a"), bytes("z"), 10)].map((e) => text(e.key)),
      ["a", "d"],
    );
    await s.close();
  });
  it("pins one committed state for a snapshot stream while writes go on", async () => {
    const dir = tempDir();
    const s = await LmdbStore.open({ dataDir: dir, create });
    s.bootstrapRange(R1, CONF);
    const log = s.logStorage(R1);
    const write = async (index: number, keys: string[], value: string) => {
      const b = s.newBatch();
      b.apply(log, (w) => {
        for (const k of keys) w.put(bytes(k), bytes(value));
        return { index: logIndex(index), term: term(1), confState: CONF };
      });
      await s.commit(b);
    };
    await write(1, ["a", "b", "c"], "old");
    const all = [{ start: bytes("a"), end: bytes("z") }];
    const snap = s.openSnapshot(R1, all);
    try {
      const pulled = snap.entries()[Symbol.iterator]();
      assert.equal(text(pulled.next().value?.value), "old");
      // Writes after the snapshot opened (between the stream's reads) are not in it.
      await write(2, ["a", "b", "c", "d"], "new");
      const rest = [];
      for (let n = pulled.next(); !n.done; n = pulled.next()) rest.push(text(n.value.value));
      assert.deepEqual(rest, ["old", "old"]);
      assert.equal(snap.applied.index, 1);
      assert.deepEqual(
        [...snap.entries()].map((e) => text(e.key)),
        ["a", "b", "c"],
      );
    } finally {
      snap.release();
    }
    snap.release();
    const now = s.readSnapshot(R1, all);
    assert.equal(now.applied.index, 2);
    assert.deepEqual(
      now.entries.map((e) => `${text(e.key)}=${text(e.value)}`),
      ["a=new", "b=new", "c=new", "d=new"],
    );
    await s.close();
  });

  it("drops a merged range's Raft state and any lingering record of it in one batch", async () => {
    const s = await LmdbStore.open({ dataDir: tempDir(), create });
    const R2 = rangeId(2);
    s.bootstrapRange(R2, CONF);
    const log = s.logStorage(R2);
    const first = s.newBatch();
    first.append(log, [entry(1, 1)]);
    first.write(({ dbs }) => dbs.meta.put(lingeringRangeKey(R2), encodeLingeringTerm(term(3))));
    await s.commit(first);
    assert.equal(s.lingeringTerm(R2), 3);

    const merge = s.newBatch();
    merge.write((txn) => merge.dropMergedRange(txn, R2));
    await s.commit(merge);
    s.forgetRange(R2);
    assert.deepEqual(s.rangeIds(), []);
    assert.equal(s.storedHardState(R2), undefined);
    assert.equal(s.lingeringTerm(R2), undefined);
    await s.close();
  });
});
