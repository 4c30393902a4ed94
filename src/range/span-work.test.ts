/**
 * SpanWork: snapshots written ahead of their install and removed replicas'
 * data cleared, each in bounded transactions under a durable record, over a
 * store in memory; a "crash" freezes the engine after some transactions and
 * a new store opens what they left. Then the same over real nodes (TcpBus,
 * LMDB): a range moves onto a node by a snapshot written ahead, and leaves it
 * with its data cleared.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  keyHashSlot,
  nodeId,
  rangeDescriptorKey,
  slotBoundaryKey,
  TesseraError,
} from "../lib/index.js";
import {
  MemoryEngine,
  type SpanBounds,
  type SpanEntry,
  type StorageEngine,
  Store,
} from "../storage/index.js";
import { USER_RANGE_ID } from "./routing.js";
import { SpanWork } from "./span-work.js";
import {
  BusCluster,
  b as bytes,
  eventually,
  get,
  KS,
  set,
  type TestNode,
  text,
} from "./testing/bus-cluster.js";

const b = (s: string) => new TextEncoder().encode(s);
const SPAN: SpanBounds = { start: b("m/"), end: b("m0") };
const LIMITS = { keys: 3, bytes: 1 << 20 };

function open(engine: StorageEngine): Store {
  return Store.openEngine(engine, { create: { clusterId: "c", nodeId: nodeId(1), nowMs: 0 } });
}

function entries(n: number): SpanEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    key: b(`m/${String(i).padStart(3, "0")}`),
    value: b(`v${i}`),
  }));
}

function spanKeys(store: Store): string[] {
  const out: string[] = [];
  for (const e of store.engine.db("data").range({ start: SPAN.start, end: SPAN.end }))
    out.push(new TextDecoder().decode(e.key));
  return out;
}

/** An engine that, after `writes` transactions, stops: later writes never run nor settle. */
function freezing(inner: MemoryEngine, writes: number): StorageEngine & { frozen: boolean } {
  let left = writes;
  const e = {
    frozen: false,
    db: (name: string) => inner.db(name),
    readView: () => inner.readView(),
    write: (fn: () => void) => {
      if (left-- > 0) return inner.write(fn);
      e.frozen = true;
      return new Promise<void>(() => {});
    },
    writeSync: (fn: () => void) => inner.writeSync(fn),
    sizeBytes: () => inner.sizeBytes(),
    close: () => inner.close(),
  };
  return e;
}

async function settled(work: SpanWork): Promise<void> {
  for (let i = 0; i < 1000 && work.reservations > 0; i++) await new Promise((r) => setImmediate(r));
  assert.equal(work.reservations, 0, "the work finished");
}

describe("SpanWork", () => {
  it("writes a snapshot ahead in bounded transactions, after clearing what was left there", async () => {
    const engine = new MemoryEngine();
    const store = open(engine);
    await store.fillSpan({ id: store.newSpanClearId(), rangeId: 9, spans: [SPAN] }, [
      { key: b("m/zzz-left-over"), value: b("x") },
    ]);
    const before = store.stats().commitsTotal;
    let writes = 0;
    const counting = engine.write.bind(engine);
    engine.write = (fn) => {
      writes++;
      return counting(fn);
    };
    const work = new SpanWork(store, LIMITS);
    const written = await work.fill(7, [SPAN], entries(10), () => true);
    assert.ok(written);
    // The record, one clearing pass, then 10 entries three at a time.
    assert.equal(writes, 1 + 1 + 4);
    assert.equal(store.stats().commitsTotal, before, "fills are not counted as batches");
    assert.deepEqual(
      spanKeys(store),
      entries(10).map((e) => new TextDecoder().decode(e.key)),
    );
    assert.equal(work.overlapping([SPAN])[0]?.state, "installing");
    assert.deepEqual(
      store.spanClears().map((c) => c.rangeId),
      [9, 7],
      "the record stays until the install removes it",
    );
    written.installed();
    assert.equal(work.reservations, 0);
  });

  it("a crash between the pieces leaves a record, and the next start clears the span", async () => {
    for (const crashAfter of [1, 2, 3, 4]) {
      const engine = new MemoryEngine();
      open(engine); // the store's identity, written once
      const frozen = freezing(engine, crashAfter);
      const work = new SpanWork(open(frozen), LIMITS);
      void work.fill(7, [SPAN], entries(10), () => true);
      for (let i = 0; i < 100 && !frozen.frozen; i++) await new Promise((r) => setImmediate(r));
      assert.ok(frozen.frozen, `the fill reached write ${crashAfter + 1}`);

      const restarted = open(engine);
      const left = restarted.spanClears();
      assert.equal(left.length, 1, `after ${crashAfter} writes: the record is durable`);
      assert.deepEqual(left[0]!.spans, [SPAN]);
      const resumed = new SpanWork(restarted, LIMITS);
      resumed.resume();
      assert.equal(resumed.overlapping([SPAN])[0]?.state, "clearing", "reserved while it clears");
      await settled(resumed);
      assert.deepEqual(spanKeys(restarted), [], `after ${crashAfter} writes: the span is empty`);
      assert.deepEqual(restarted.spanClears(), []);
    }
  });

  it("clears data written ahead when the install is abandoned or no longer wanted", async () => {
    const store = open(new MemoryEngine());
    const work = new SpanWork(store, LIMITS);
    const written = await work.fill(7, [SPAN], entries(10), () => true);
    written!.abandon();
    written!.installed(); // too late: settled once
    await settled(work);
    assert.deepEqual(spanKeys(store), []);
    assert.deepEqual(store.spanClears(), []);

    let chunks = 0;
    const gone = await work.fill(7, [SPAN], entries(10), () => ++chunks < 3);
    assert.equal(gone, undefined);
    await settled(work);
    assert.deepEqual(spanKeys(store), []);
    assert.deepEqual(store.spanClears(), []);
  });

  it("reserves a removed replica's spans until its data is cleared", async () => {
    const store = open(new MemoryEngine());
    const work = new SpanWork(store, LIMITS);
    const data = store.engine.db("data");
    store.engine.writeSync(() => {
      for (const e of entries(10)) data.put(e.key, e.value);
    });
    const clearing = work.reserveClear(7, [SPAN]);
    const [held] = work.overlapping([{ start: b("m/005"), end: b("m/006") }]);
    assert.equal(held?.state, "clearing");
    assert.deepEqual(work.overlapping([{ start: b("n"), end: b("o") }]), []);
    // The record goes in with the replica's destruction (a store batch); here, by hand.
    await store.fillSpan(clearing.clear, []);
    clearing.start();
    await held!.done;
    assert.deepEqual(spanKeys(store), []);
    assert.deepEqual(store.spanClears(), []);
    assert.deepEqual(work.counts, { fills: 0, clears: 1 });
  });
});

describe("moving a range with its snapshot written ahead (real nodes)", () => {
  const cluster = new BusCluster({}, 1000, { spanChunkLimits: { keys: 8, bytes: 1 << 20 } });
  after(() => cluster.close());

  it("installs on a new node in pieces, and clears the data of a replica removed", async () => {
    const [n1] = await cluster.bootstrapped(1, 2);
    for (let i = 0; i < 60; i++) await n1!.host.service.write(set(`move-${i}`, `v${i}`));
    const n2 = cluster.node(2);
    assert.equal(n2.host.spanWorkCounts.fills, 0);
    await n1!.host.changeReplicas(USER_RANGE_ID, [{ type: "add-voter", nodeId: nodeId(2) }]);
    await eventually("node 2 has the writes", async () => {
      return text(await n2.host.service.read(get("move-59"), "any")) === "v59";
    });
    for (let i = 0; i < 60; i += 7)
      assert.equal(text(await n2.host.service.read(get(`move-${i}`), "any")), `v${i}`);
    assert.equal(n2.host.spanWorkCounts.fills, 1, "the snapshot was written ahead");
    assert.deepEqual(n2.store.spanClears(), [], "and its install took the record");

    const dataKeys = () => [...n2.store.engine.db("data").range({})].length;
    const withRange = dataKeys();
    await n1!.host.changeReplicas(USER_RANGE_ID, [{ type: "remove", nodeId: nodeId(2) }]);
    await eventually("node 2 cleared the range's data", () => {
      return n2.host.spanWorkCounts.clears === 1 && n2.store.spanClears().length === 0;
    });
    assert.ok(dataKeys() <= withRange - 60, "the 60 keys are gone from node 2's store");
  });
});

describe("a snapshot of a range a split here is still creating (real nodes)", () => {
  const cluster = new BusCluster({}, 1000, { spanChunkLimits: { keys: 8, bytes: 1 << 20 } });
  after(() => cluster.close());

  // A node lagging on a range hears of the range split off it first from
  // that range's leader, and holds an empty replica of it when it applies the
  // split; the new range's replica starts once the split is durable. A
  // snapshot of the new range that came meanwhile was written into its span,
  // clearing the keys the split had just given it, and cleared them again
  // when abandoned (simulator, seed 12375).
  it("waits until the split's replica runs, and the keys the split gave it stay", async () => {
    const [n1, , n3] = (await cluster.replicated(1, 2, 3)) as TestNode[];
    const keys = Array.from({ length: 80 }, (_, i) => `split-${i}`);
    for (const k of keys) await n1!.host.service.write(set(k, `v-${k}`));
    await eventually("node 3 applied the writes", async () => {
      return text(await n3!.host.service.read(get(keys.at(-1)!), "any")) === `v-${keys.at(-1)}`;
    });

    // Node 3 misses the split, and what the new range does next.
    n3!.bus.faults.partition([nodeId(1), nodeId(2)]);
    const right = await n1!.host.split(USER_RANGE_ID, slotBoundaryKey(KS, 8192));
    const moved = keys.filter((k) => keyHashSlot(bytes(k)) >= 8192);
    assert.ok(moved.length > 8, "too few keys in the right-hand range to write its snapshot ahead");
    for (const k of moved.slice(0, 3)) await n1!.host.service.write(set(k, `w-${k}`));

    // The window: node 3's store holds the split, and the new range's
    // replica has not started (it starts once the split is durable). Its
    // leader sends a snapshot to the empty replica node 3 made on hearing of
    // it; node 3 is slowed a while, so one that came in the window would be
    // written ahead in pieces, still unfinished when the split's replica starts.
    const inWindow = () =>
      n3!.store.kvView().get(rangeDescriptorKey(right)) !== undefined &&
      !n3!.host.rangeIds().includes(right);
    const host = n3!.host as unknown as {
      deliverSnapshot(id: number, ...rest: unknown[]): Promise<void>;
    };
    const deliver = host.deliverSnapshot.bind(host);
    let windowSawSnapshot = false;
    // Snapshots after the window are refused for a while, so what the new
    // range's replica holds is what the split gave it and the window left (a
    // later snapshot would replace it, unless a crash came first).
    let refuseLater = true;
    host.deliverSnapshot = async (id, ...rest) => {
      if (id === right && inWindow()) windowSawSnapshot = true;
      else if (id === right && windowSawSnapshot && refuseLater)
        throw new TesseraError("UNAVAILABLE", "no snapshot now, in this test");
      return deliver(id, ...rest);
    };
    const store = n3!.store as unknown as { engine: { write: StorageEngine["write"] } };
    const write = store.engine.write.bind(store.engine);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    let slowUntil: number | undefined;
    store.engine.write = async (fn, ran) => {
      await write(fn, ran);
      if (slowUntil === undefined && inWindow()) {
        slowUntil = Date.now() + 4000;
        await sleep(1500);
      } else if (slowUntil !== undefined && Date.now() < slowUntil) await sleep(300);
    };
    n3!.bus.faults.heal();

    await eventually("node 3 runs the new range", () => n3!.host.rangeIds().includes(right));
    assert.ok(slowUntil !== undefined, "node 3 did not apply the split");
    assert.ok(windowSawSnapshot, "no snapshot came while the split was being made durable");
    const spanWork = (n3!.host as unknown as { spanWork: SpanWork }).spanWork;
    await eventually("node 3's span work is done", () => spanWork.reservations === 0, 20_000);
    // The split's state (a range split off starts at index 10): every key
    // it gave the range, as it was then.
    assert.equal(n3!.host.rangeInfo(right)?.applied, 10, "node 3 went past the split");
    for (const k of moved)
      assert.equal(text(await n3!.host.service.read(get(k), "any")), `v-${k}`, `node 3 lost ${k}`);
    refuseLater = false;
    await eventually("node 3 has the new range's latest writes", async () => {
      const k = moved[2]!;
      return text(await n3!.host.service.read(get(k), "any")) === `w-${k}`;
    });
  });
});
