/**
 * Quiescence at scale: one node (no bus) hosting 2,000 ranges in a memory
 * store. Once the ranges have elected themselves and gone to sleep, a tick
 * touches no replica at all; a write wakes its own range only, which ticks
 * until it sleeps again. What is counted is `replicaTicksTotal` (one awake
 * replica ticked once), the work a tick costs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Clock, KEY_TAG_RANGE, rangeId, SYSTEM_KEYSPACE_ID } from "../lib/index.js";
import type { Store } from "../storage/index.js";
import {
  FIRST_ALLOCATED_RANGE_ID,
  META_RANGE,
  type RangeDescriptor,
  USER_HASH_RANGE,
} from "./descriptor.js";
import { StoreHost } from "./store-host.js";
import { eventually, LIMITS, set } from "./testing/bus-cluster.js";
import { loneStore } from "./testing/lone-store.js";

const RANGES_EXTRA = 2000;
const TICK_MS = 20;
const clock: Clock = { nowMs: () => Date.now(), monotonicMs: () => performance.now() };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The i-th range allocated after the initial ones owns the i-th slice of the ordered key area. */
function slice(i: number): RangeDescriptor {
  const bound = (n: number) => Uint8Array.of(KEY_TAG_RANGE, (n >> 8) & 0xff, n & 0xff);
  return {
    rangeId: rangeId(FIRST_ALLOCATED_RANGE_ID + i),
    start: bound(i),
    end: bound(i + 1),
    generation: 1,
  };
}

let store: Store;
let host: StoreHost;

before(async () => {
  const descs = [META_RANGE, USER_HASH_RANGE];
  for (let i = 0; i < RANGES_EXTRA; i++) descs.push(slice(i));
  store = loneStore(descs);
  host = StoreHost.start({
    store,
    clock,
    limits: LIMITS,
    raftTiming: { tickMs: TICK_MS, electionTick: 10, heartbeatTick: 1 },
    onFatal: (e) => {
      throw e;
    },
  });
  await host.waitReady(30_000);
  // The ranges' ids count as allocated, so the meta table (which every
  // range's leader fills in once) reaches them.
  await host.service.write({
    op: "incrby",
    ks: SYSTEM_KEYSPACE_ID,
    key: new TextEncoder().encode("ranges/next-id"),
    delta: BigInt(RANGES_EXTRA),
  });
});
after(async () => {
  await host.stop();
  await store.close();
});

describe("quiescence at scale", () => {
  it("ticks none of 2,000 idle ranges once they sleep", async () => {
    await eventually(
      "every range sleeps",
      () => host.stats().rangesQuiesced === RANGES_EXTRA + 2,
      60_000,
    );
    const before = host.stats().replicaTicksTotal;
    await sleep(20 * TICK_MS);
    assert.equal(host.stats().replicaTicksTotal, before);
    assert.equal(host.stats().rangesTotal, RANGES_EXTRA + 2);
  });

  it("wakes only the range a write goes to, which sleeps again", async () => {
    const before = host.stats();
    assert.equal((await host.service.write(set("k", "v"))).reply.t, "ok");
    await eventually(
      "the range sleeps again",
      () => host.stats().rangesQuiesced === RANGES_EXTRA + 2,
    );
    const ticked = host.stats().replicaTicksTotal - before.replicaTicksTotal;
    // One range, awake for the few ticks it takes to go back to sleep.
    assert.ok(ticked > 0 && ticked < 20, `ticked ${ticked} replicas`);
  });
});
