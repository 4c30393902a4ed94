/**
 * Ticks keep to the clock (scheduler.ts `catchUp`): when the event loop is
 * held up for many tick periods (a process stopped, a long collection), the
 * late timer fires once, and the scheduler then runs the ticks that were due,
 * up to two election timeouts' worth. A lease counts ticks, so without this a
 * leader held up for seconds would count one tick and trust a lease its
 * followers stopped honouring long ago (simulator seed 258). One node over a
 * memory store; the event loop is held up for real, by a busy wait.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Clock } from "../lib/index.js";
import type { Store } from "../storage/index.js";
import { META_RANGE, USER_HASH_RANGE } from "./descriptor.js";
import { TICKS_CATCH_UP_ELECTIONS } from "./scheduler.js";
import { StoreHost } from "./store-host.js";
import { LIMITS } from "./testing/bus-cluster.js";
import { loneStore } from "./testing/lone-store.js";

const TICK_MS = 20;
const ELECTION_TICK = 10;
const clock: Clock = { nowMs: () => Date.now(), monotonicMs: () => performance.now() };

/** Holds the event loop for `ms`, as a stopped process or a long pause would. */
function holdLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Busy: no timer can fire.
  }
}

/** Resolves after the next few tick timers had their chance to fire. */
const nextTicks = () => new Promise((r) => setTimeout(r, 3 * TICK_MS));

let store: Store;
let host: StoreHost;

before(async () => {
  store = loneStore([META_RANGE, USER_HASH_RANGE]);
  host = StoreHost.start({
    store,
    clock,
    limits: LIMITS,
    raftTiming: { tickMs: TICK_MS, electionTick: ELECTION_TICK, heartbeatTick: 1 },
    onFatal: (e) => {
      throw e;
    },
  });
  await host.waitReady(30_000);
});
after(async () => {
  await host.stop();
  await store.close();
});

describe("ticks after the event loop was held up", () => {
  it("runs the ticks that fell due meanwhile", async () => {
    await nextTicks();
    const before = host.stats().ticksCaughtUpTotal;
    holdLoop(12 * TICK_MS);
    await nextTicks();
    const caughtUp = host.stats().ticksCaughtUpTotal - before;
    // 12 periods passed: the late timer's own tick and about 11 more (the
    // timer may have been due a little before the hold began).
    assert.ok(caughtUp >= 10 && caughtUp <= 14, `caught up ${caughtUp} ticks`);
  });

  it("runs at most two election timeouts' worth after a long stop", async () => {
    await nextTicks();
    const before = host.stats().ticksCaughtUpTotal;
    holdLoop(100 * TICK_MS);
    await nextTicks();
    const caughtUp = host.stats().ticksCaughtUpTotal - before;
    const cap = TICKS_CATCH_UP_ELECTIONS * ELECTION_TICK;
    // The capped catch-up, then the clock is taken as it is: a later timer
    // late by a period or two (this machine's noise) may add a couple.
    assert.ok(caughtUp >= cap - 1 && caughtUp <= cap + 3, `caught up ${caughtUp} ticks`);
  });

  it("runs no extra ticks while the timer keeps time", async () => {
    await nextTicks();
    const before = host.stats();
    await new Promise((r) => setTimeout(r, 20 * TICK_MS));
    const after = host.stats();
    // One tick per period, give or take timers a period late on a busy machine.
    assert.ok(
      after.ticksCaughtUpTotal - before.ticksCaughtUpTotal <= 4,
      `caught up ${after.ticksCaughtUpTotal - before.ticksCaughtUpTotal} ticks`,
    );
  });
});
