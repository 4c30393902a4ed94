/**
 * Tests of `Expirers`: a tick visits the awake replicas' expirers and those
 * due by time, not every expirer of the store (thousands of sleeping ranges
 * must cost nothing per tick); a sweep still visits all of them now and then.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Clock, type RangeId, rangeId } from "../lib/index.js";
import { EXPIRER_SWEEP_MS, type Expirer, type ExpirerRun, Expirers } from "./expirer.js";

class FakeExpirer {
  visits = 0;
  /** What the next visits return; a look calls `onQuiet(nextDueMs)`. */
  run: ExpirerRun = "looked";
  nextDueMs = Number.POSITIVE_INFINITY;

  constructor(private readonly onQuiet: (nextDueMs: number) => void) {}

  get keysExpiredTotal(): number {
    return 0;
  }

  maybeRun(): ExpirerRun {
    this.visits++;
    if (this.run === "looked") this.onQuiet(this.nextDueMs);
    return this.run;
  }
}

function setup(count: number) {
  let monoMs = 0;
  let wallMs = 1_000_000;
  const clock: Clock = { monotonicMs: () => monoMs, nowMs: () => wallMs };
  const expirers = new Expirers(clock);
  const fakes = new Map<RangeId, FakeExpirer>();
  for (let i = 1; i <= count; i++) {
    const id = rangeId(i);
    expirers.add(id, (onQuiet) => {
      const f = new FakeExpirer(onQuiet);
      fakes.set(id, f);
      return f as unknown as Expirer;
    });
  }
  const visits = () => [...fakes.values()].reduce((n, f) => n + f.visits, 0);
  const advance = (ms: number) => {
    monoMs += ms;
    wallMs += ms;
  };
  return { expirers, fakes, visits, advance, wall: () => wallMs };
}

describe("Expirers", () => {
  it("visits only the awake replicas' expirers on a tick", () => {
    const { expirers, fakes, visits, advance } = setup(1000);
    advance(100);
    expirers.tick([]);
    assert.equal(visits(), 0);
    expirers.tick([{ rangeId: rangeId(7) }, { rangeId: rangeId(9) }]);
    assert.equal(visits(), 2);
    assert.equal(fakes.get(rangeId(7))?.visits, 1);
  });

  it("visits a sleeping range's expirer once its next expiry falls due", () => {
    const { expirers, fakes, visits, advance, wall } = setup(100);
    const f = fakes.get(rangeId(42))!;
    // An awake look finds a key due in 1.5 s; then the range sleeps.
    f.nextDueMs = wall() + 1500;
    expirers.tick([{ rangeId: rangeId(42) }]);
    f.nextDueMs = Number.POSITIVE_INFINITY;
    assert.equal(visits(), 1);
    for (let t = 0; t < 14; t++) {
      advance(100);
      expirers.tick([]);
    }
    assert.equal(visits(), 1, "not due yet");
    advance(100);
    expirers.tick([]);
    assert.equal(f.visits, 2, "due: looked at");
    advance(100);
    expirers.tick([]);
    assert.equal(visits(), 2, "taken once");
  });

  it("comes back next tick to an expirer that looked too recently", () => {
    const { expirers, fakes, advance, wall } = setup(10);
    const f = fakes.get(rangeId(3))!;
    f.nextDueMs = wall() + 100;
    expirers.tick([{ rangeId: rangeId(3) }]);
    f.run = "too-soon";
    advance(100);
    expirers.tick([]);
    assert.equal(f.visits, 2);
    f.run = "looked";
    f.nextDueMs = Number.POSITIVE_INFINITY;
    advance(100);
    expirers.tick([]);
    assert.equal(f.visits, 3);
    advance(100);
    expirers.tick([]);
    assert.equal(f.visits, 3);
  });

  it("forgets a removed range's due time", () => {
    const { expirers, fakes, visits, advance, wall } = setup(10);
    fakes.get(rangeId(5))!.nextDueMs = wall() + 100;
    expirers.tick([{ rangeId: rangeId(5) }]);
    expirers.delete(rangeId(5));
    advance(200);
    expirers.tick([]);
    assert.equal(visits(), 1);
  });

  it("sweeps every expirer every EXPIRER_SWEEP_MS", () => {
    const { expirers, visits, advance } = setup(500);
    advance(EXPIRER_SWEEP_MS - 1);
    expirers.tick([]);
    assert.equal(visits(), 0);
    advance(1);
    expirers.tick([]);
    assert.equal(visits(), 500);
  });
});
