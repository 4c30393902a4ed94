import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, describe, it } from "node:test";
import type { KvReply, WriteCommand } from "../kv/index.js";
import {
  type Clock,
  describeSpan,
  isTesseraError,
  keyHashSlot,
  keyspaceId,
  nodeId,
  rangeId,
  SLOT_COUNT,
  slotBoundaryKey,
} from "../lib/index.js";
import { LmdbStore } from "../storage/index.js";
import { EXPIRER_SWEEP_MS } from "./expirer.js";
import { USER_RANGE_ID } from "./routing.js";
import { StoreHost, type StoreHostLimits } from "./store-host.js";

type Node = { store: LmdbStore; host: StoreHost };
const dirs: string[] = [];
/** Nodes still open: a test that fails before closing its node leaves it here. */
const opened = new Set<Node>();
afterEach(async () => {
  for (const n of opened) await close(n);
});
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const systemClock: Clock = { nowMs: () => Date.now(), monotonicMs: () => performance.now() };
const LIMITS: StoreHostLimits = {
  proposalsPendingMax: 1000,
  proposalBytesMax: 1024 * 1024,
  proposalTimeoutMs: 5000,
  readTimeoutMs: 5000,
  expireBatchKeysMax: 100,
};
const KS = keyspaceId(0);
const b = (s: string) => new TextEncoder().encode(s);
const set = (k: string, v: string, ms?: number): WriteCommand => ({
  op: "set",
  ks: KS,
  key: b(k),
  value: b(v),
  expiry: ms === undefined ? { kind: "none" } : { kind: "in", ms },
  cond: "always",
  get: false,
});
const text = (r: KvReply) => (r.t === "bulk" ? new TextDecoder().decode(r.v) : r.t);

async function open(
  dir: string,
  limits = LIMITS,
  localReadsWhenAlone = true,
  logEntriesKeep?: number,
  clock: Clock = systemClock,
  logBytesKeep?: number,
): Promise<Node> {
  const store = await LmdbStore.open({
    dataDir: dir,
    create: { clusterId: "c", nodeId: nodeId(1), nowMs: Date.now() },
  });
  const host = StoreHost.start({
    store,
    clock,
    limits,
    tickMs: 10,
    localReadsWhenAlone,
    ...(logEntriesKeep !== undefined ? { logEntriesKeep } : {}),
    ...(logBytesKeep !== undefined ? { logBytesKeep } : {}),
    onFatal: (e) => {
      throw e;
    },
  });
  const n = { store, host };
  opened.add(n);
  await host.waitReady(5000);
  return n;
}

async function close(n: Node): Promise<void> {
  opened.delete(n);
  await n.host.stop(1000);
  await n.store.close();
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tessera-host-"));
  dirs.push(d);
  return d;
}

describe("StoreHost (one node)", () => {
  it("elects itself, applies a write and serves it at every read level", async () => {
    const n = await open(tempDir());
    const res = await n.host.service.write(set("k", "v"));
    assert.equal(res.reply.t, "ok");
    assert.ok(res.index > 0);
    for (const level of ["strong", "quorum", "any", "all"] as const) {
      assert.equal(text(await n.host.service.read({ op: "get", ks: KS, key: b("k") }, level)), "v");
    }
    const st = n.host.service.status();
    assert.equal(st.role, "leader");
    assert.equal(st.leaderId, 1);
    assert.equal(await n.host.service.waitForReplicas(res.index, 1, 100), 0);
    await close(n);
  });

  it("serves linearizable reads through a read index when told not to read locally", async () => {
    const n = await open(tempDir(), LIMITS, false);
    await n.host.service.write(set("k", "v"));
    const reads = ["strong", "quorum", "all"].map((level) =>
      n.host.service.read({ op: "get", ks: KS, key: b("k") }, level as "strong"),
    );
    assert.deepEqual((await Promise.all(reads)).map(text), ["v", "v", "v"]);
    await close(n);
  });

  it("commits many concurrent writes in few batches (group commit)", async () => {
    const n = await open(tempDir());
    const before = n.host.stats().batchesTotal;
    const writes = Array.from({ length: 500 }, (_, i) =>
      n.host.service.write(set(`k${i}`, `v${i}`)),
    );
    const results = await Promise.all(writes);
    assert.ok(results.every((r) => r.reply.t === "ok"));
    const batches = n.host.stats().batchesTotal - before;
    assert.ok(batches < 50, `500 writes took ${batches} batches`);
    // The statistics read committed state: a read waits for the last apply to be durable.
    await n.host.service.read({ op: "get", ks: KS, key: b("k499") }, "strong");
    assert.equal(n.host.service.keyspaceStats()[0]?.keys, 500);
    await close(n);
  });

  it("finds every acknowledged write after a restart", async () => {
    const dir = tempDir();
    const n = await open(dir);
    for (let i = 0; i < 20; i++) await n.host.service.write(set(`k${i}`, `v${i}`));
    await close(n);
    const m = await open(dir);
    for (let i = 0; i < 20; i++) {
      assert.equal(
        text(await m.host.service.read({ op: "get", ks: KS, key: b(`k${i}`) }, "strong")),
        `v${i}`,
      );
    }
    const after = await m.host.service.write(set("x", "y"));
    assert.ok(after.index > 20);
    await close(m);
  });

  it("truncates the log behind the applied index and restarts from the truncated log", async () => {
    const dir = tempDir();
    const n = await open(dir, LIMITS, true, 5);
    for (let i = 0; i < 40; i++) await n.host.service.write(set(`k${i}`, `v${i}`));
    // Keyspace 0 belongs to range 2, the user range.
    const log = n.store.logStorage(rangeId(2));
    assert.ok(log.firstIndex() > 20, `first index ${log.firstIndex()}`);
    await close(n);
    const m = await open(dir, LIMITS, true, 5);
    for (let i = 0; i < 40; i++) {
      assert.equal(
        text(await m.host.service.read({ op: "get", ks: KS, key: b(`k${i}`) }, "strong")),
        `v${i}`,
      );
    }
    assert.equal((await m.host.service.write(set("after", "restart"))).reply.t, "ok");
    await close(m);
  });

  it("writes no hard state for commits alone, and restarts with commit at the applied index", async () => {
    const dir = tempDir();
    const n = await open(dir);
    await n.host.service.write(set("warm", "1"));
    const log = n.store.logStorage(rangeId(2));
    const stored = log.hardState();
    for (let i = 0; i < 10; i++) await n.host.service.write(set(`c${i}`, "v"));
    // Ten writes moved the commit and applied indexes, not the term or vote:
    // the stored hard state is the same record.
    assert.equal(log.hardState(), stored);
    assert.ok(log.applied().index >= stored.commit + 10, "applied beyond the stored commit");
    const applied = log.applied().index;
    await close(n);
    const m = await open(dir);
    assert.ok(m.store.logStorage(rangeId(2)).hardState().commit >= applied);
    assert.equal(
      text(await m.host.service.read({ op: "get", ks: KS, key: b("c9") }, "strong")),
      "v",
    );
    await close(m);
  });

  it("truncates a log of big values by its size, not only by its count of entries", async () => {
    const keep = 32 * 1024;
    const n = await open(tempDir(), LIMITS, true, undefined, systemClock, keep);
    const value = "x".repeat(4096);
    for (let i = 0; i < 80; i++) await n.host.service.write(set(`big${i}`, value));
    const log = n.store.logStorage(rangeId(2));
    assert.ok(log.firstIndex() > 20, `first index ${log.firstIndex()}`);
    let bytes = 0;
    for (let i = log.firstIndex(); i <= log.lastIndex(); i++) {
      for (const e of log.entries(i as never, (i + 1) as never, Number.MAX_SAFE_INTEGER))
        bytes += e.data.byteLength;
    }
    // At most twice the bound, and a mark's worth (a fraction of it), before it is cut.
    assert.ok(bytes <= 2 * keep + keep / 4 + 8192, `${bytes} bytes of log kept`);
    assert.equal(
      text(await n.host.service.read({ op: "get", ks: KS, key: b("big0") }, "strong")),
      value,
    );
    await close(n);
  });

  it("refuses writes past proposalsPendingMax and proposals over proposalBytesMax", async () => {
    const n = await open(tempDir(), { ...LIMITS, proposalsPendingMax: 5, proposalBytesMax: 200 });
    await assert.rejects(n.host.service.write(set("big", "x".repeat(500))), (e) =>
      isTesseraError(e, "LIMIT_EXCEEDED"),
    );
    const writes = Array.from({ length: 8 }, (_, i) => n.host.service.write(set(`k${i}`, "v")));
    const settled = await Promise.allSettled(writes);
    const refused = settled.filter(
      (s) => s.status === "rejected" && isTesseraError(s.reason, "LIMIT_EXCEEDED"),
    );
    assert.equal(refused.length, 3);
    await close(n);
  });

  it("refuses a key longer than the store can hold before proposing it", async () => {
    const n = await open(tempDir());
    await assert.rejects(n.host.service.write(set("k".repeat(5000), "v")), (e) =>
      isTesseraError(e, "LIMIT_EXCEEDED"),
    );
    await close(n);
  });

  it("deletes expired keys in the background on the leader", async () => {
    const n = await open(tempDir());
    await n.host.service.write(set("ttl", "v", 20));
    await n.host.service.write(set("keep", "v"));
    // The deletion is visible once applied; the expirer counts it when its
    // proposal's reply comes back, a moment later.
    const done = () =>
      n.host.service.keyspaceStats()[0]?.keys === 1 && n.host.stats().keysExpiredTotal >= 1;
    const deadline = Date.now() + 3000;
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(n.host.service.keyspaceStats()[0]?.keys, 1);
    assert.ok(n.host.stats().keysExpiredTotal >= 1);
    await close(n);
  });

  it("looks at a busy range's expiry index only after a write with a TTL", async () => {
    const n = await open(tempDir());
    await n.host.service.write(set("far", "v", 60_000));
    const looks = () => n.host.stats().expiryLooksTotal;
    const settleBy = Date.now() + 2000;
    while (looks() === 0 && Date.now() < settleBy) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    const before = looks();
    assert.ok(before > 0, "the expirer looked after the write with a TTL");
    // Many ticks (10 ms) of writes without a TTL: nothing can have come due sooner.
    for (let i = 0; i < 30; i++) {
      await n.host.service.write(set(`plain${i}`, "v"));
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(looks(), before, "writes without a TTL made the expirer look");
    // A write with a TTL due long before "far" is found, without waiting for a sweep.
    await n.host.service.write(set("soon", "v", 30));
    const deadline = Date.now() + 2000;
    while (n.host.stats().keysExpiredTotal < 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(n.host.stats().keysExpiredTotal, 1);
    assert.ok(EXPIRER_SWEEP_MS >= 5000);
    await close(n);
  });

  it("deletes a key that expires while its range sleeps, when it falls due", async () => {
    const n = await open(tempDir());
    await n.host.service.write(set("later", "v", 1500));
    // Every range goes to sleep: no tick visits their expirers any more.
    const asleep = () => n.host.stats().rangesQuiesced === n.host.stats().rangesTotal;
    const sleepBy = Date.now() + 1000;
    while (!asleep() && Date.now() < sleepBy) await new Promise((r) => setTimeout(r, 10));
    assert.ok(asleep(), "the ranges went to sleep");
    assert.equal(n.host.stats().keysExpiredTotal, 0);
    // Due at 1.5 s; the sweep of every expirer comes only every EXPIRER_SWEEP_MS.
    assert.ok(EXPIRER_SWEEP_MS >= 5000);
    const deadline = Date.now() + 3000;
    while (n.host.stats().keysExpiredTotal < 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(n.host.stats().keysExpiredTotal, 1);
    assert.equal(n.host.service.keyspaceStats()[0]?.keys ?? 0, 0);
    await close(n);
  });

  it("pauses after a round of many ranges' Readies, and not after one busy range's", async () => {
    const n = await open(tempDir());
    const pauses = () => n.host.stats().gatherPausesTotal;
    await n.host.service.write(set("warm", "v"));
    const before = pauses();
    // One range: concurrent writes make rounds of one or two Readies.
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => n.host.service.write(set(`one${i}`, "v"))),
    );
    assert.equal(pauses(), before, "a round of one busy range paused");
    // Twelve ranges, one write each, at once: a round of twelve Readies.
    const ranges = 12;
    for (let i = ranges - 1; i >= 1; i--)
      await n.host.split(USER_RANGE_ID, slotBoundaryKey(KS, Math.floor((i * SLOT_COUNT) / ranges)));
    const keys: string[] = [];
    const taken = new Set<number>();
    for (let j = 0; keys.length < ranges; j++) {
      const part = Math.floor((keyHashSlot(b(`spread${j}`)) * ranges) / SLOT_COUNT);
      if (taken.has(part)) continue;
      taken.add(part);
      keys.push(`spread${j}`);
    }
    const afterSplits = pauses();
    await Promise.all(keys.map((k) => n.host.service.write(set(k, "v"))));
    assert.ok(pauses() > afterSplits, "a round of twelve ranges' Readies did not pause");
    await close(n);
  });

  it("reloads the range cache only when the meta table changed", async () => {
    const n = await open(tempDir());
    const pause = () => new Promise((r) => setTimeout(r, 60)); // past the reloads' least interval
    // The host writes the table itself now and then (leaders, at start): look
    // for two reloads with no change to the meta range between them.
    let checked = false;
    for (let i = 0; i < 50 && !checked; i++) {
      await pause();
      await n.host.refreshDirectory();
      const version = n.host.metaVersion();
      const table = n.host.directory.all();
      await pause();
      await n.host.refreshDirectory();
      if (n.host.metaVersion() !== version) continue;
      assert.equal(n.host.directory.all(), table, "nothing changed: nothing read, nothing rebuilt");
      checked = true;
    }
    assert.ok(checked);
    const before = n.host.directory.all().length;
    const right = await n.host.split(USER_RANGE_ID, slotBoundaryKey(KS, 8192));
    await pause();
    await n.host.refreshDirectory();
    assert.equal(n.host.directory.all().length, before + 1);
    assert.ok(n.host.directory.byId(right));
    await close(n);
  });

  it("fails a write not applied within proposalTimeoutMs with TIMEOUT", async () => {
    const n = await open(tempDir(), { ...LIMITS, proposalTimeoutMs: 100 });
    // Hold the store's commits back, as a stalled disk would.
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const commit = n.store.commit.bind(n.store);
    n.store.commit = async (batch) => {
      await gate;
      return commit(batch);
    };
    const started = Date.now();
    await assert.rejects(n.host.service.write(set("k", "v")), (e) => isTesseraError(e, "TIMEOUT"));
    assert.ok(Date.now() - started < 2000);
    release();
    await close(n);
  });

  it("answers a write once its apply ran, and serves no read that could miss it before it is durable", async () => {
    const n = await open(tempDir());
    await n.host.service.write(set("early", "0"));
    // Durable (a read waits for that), so no commit is in flight.
    await n.host.service.read({ op: "get", ks: KS, key: b("early") }, "strong");
    // The engine's commits report durability only when the test says so; the
    // writes themselves run (and lmdb commits them underneath).
    const engine = n.store.engine;
    const write = engine.write.bind(engine);
    let release: () => void = () => {};
    const durable = new Promise<void>((r) => {
      release = r;
    });
    // From the second commit on: the first appends the write's entry (which
    // must be durable to commit it), the second applies it.
    let commits = 0;
    engine.write = (fn, onRan) =>
      write(fn, onRan).then(() => (++commits > 1 ? durable : undefined));
    const before = n.host.stats().batchesTotal;
    const res = await n.host.service.write(set("early", "1"));
    assert.equal(res.reply.t, "ok");
    assert.equal(
      n.host.stats().batchesTotal,
      before + 1,
      "answered before the batch applying it was durable",
    );
    // The range's only voter reads its own state without a read point: it
    // must still wait until the answered write is durably applied.
    let read: string | undefined;
    const reading = n.host.service
      .read({ op: "get", ks: KS, key: b("early") }, "strong")
      .then((r) => (read = text(r)));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(read, undefined, "the read waited for the durable apply");
    release();
    await reading;
    assert.equal(read, "1");
  });

  it("reports each range's load to any number of readers without disturbing them", async () => {
    // The monotonic clock moves only when the test moves it, so rates are
    // exact. The host's deadlines stand still with it, which nothing here needs.
    let nowMs = 0;
    const clock: Clock = { nowMs: () => Date.now(), monotonicMs: () => nowMs };
    const n = await open(tempDir(), LIMITS, true, undefined, clock);
    // The meter keeps three samples, one a second at most, each taken on a
    // tick. Fill its window with samples at 1, 2 and 3 s (whether or not the
    // first tick sampled at 0), write, and read before another sample is due.
    for (const at of [1000, 2000, 3000]) {
      nowMs = at;
      const samples = n.host.stats().loadSamplesTotal;
      while (n.host.stats().loadSamplesTotal === samples) {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    for (let i = 0; i < 25; i++) await n.host.service.write(set(`load:${i}`, "v"));
    // A write is answered once its apply ran; the key count is read from durable state.
    await n.host.service.settled();
    nowMs = 3500;
    const data = (loads: readonly { rangeId: number; opsPerSec: number }[]) =>
      loads.find((l) => l.rangeId === 2)?.opsPerSec;
    const planner = n.host.rangeLoads();
    const status = n.host.rangeLoads();
    assert.equal(data(planner), 10, "25 writes over 2.5 s");
    assert.equal(data(status), 10, "the first reader did not restart the second's window");
    const local = n.host.replicaLoads().find((l) => l.rangeId === 2);
    assert.equal(local?.role, "leader");
    assert.equal(local?.keys, 25);
    assert.equal(local?.opsPerSec, 10);
    assert.ok((local?.bytes ?? 0) > 25 * "load:0v".length);
    assert.equal(describeSpan(local!.start, local!.end), "slots 0-16383 + db1-db4294967294");
    await close(n);
  });

  it("fails writes with SHUTTING_DOWN once stopped", async () => {
    const n = await open(tempDir());
    await n.host.stop(100);
    await assert.rejects(n.host.service.write(set("k", "v")), (e) =>
      isTesseraError(e, "SHUTTING_DOWN"),
    );
    await close(n);
  });
});
