import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTesseraError, type NodeId, SeededRng } from "../lib/index.js";
import { Backoff } from "./backoff.js";
import { FaultInjector } from "./faults.js";

const n = (x: number) => x as NodeId;

describe("fault injector", () => {
  it("refuses every fault unless enabled", () => {
    const f = new FaultInjector(false, new SeededRng(1));
    const refused = (e: unknown) => isTesseraError(e, "INVALID_ARGUMENT");
    assert.throws(() => f.delay([], 10), refused);
    assert.throws(() => f.drop([], 10), refused);
    assert.throws(() => f.partition([n(2)]), refused);
    assert.throws(() => f.heal(), refused);
    assert.equal(f.describe(), "fault injection disabled");
    assert.equal(f.active, false);
  });

  it("applies a rule to the named peers only, or to all with an empty list", () => {
    const f = new FaultInjector(true, new SeededRng(1));
    f.partition([n(2)]);
    f.delay([], 30);
    assert.equal(f.shouldDrop(n(2)), true);
    assert.equal(f.shouldDrop(n(3)), false);
    assert.equal(f.delayMsFor(n(3)), 30);
    assert.match(f.describe(), /partition to\/from nodes 2; delay 30ms to\/from all peers/);
    f.heal();
    assert.equal(f.active, false);
    assert.equal(f.describe(), "no faults");
  });

  it("drops about the asked percentage, reproducibly from the seed", () => {
    const run = () => {
      const f = new FaultInjector(true, new SeededRng(42));
      f.drop([n(2)], 25);
      let dropped = 0;
      for (let i = 0; i < 10_000; i++) if (f.shouldDrop(n(2))) dropped++;
      return dropped;
    };
    const dropped = run();
    assert.ok(dropped > 2_300 && dropped < 2_700, `dropped ${dropped}`);
    assert.equal(run(), dropped);
  });

  it("refuses out-of-range values", () => {
    const f = new FaultInjector(true, new SeededRng(1));
    assert.throws(
      () => f.drop([], 101),
      (e) => isTesseraError(e, "INVALID_ARGUMENT"),
    );
    assert.throws(
      () => f.delay([], -1),
      (e) => isTesseraError(e, "INVALID_ARGUMENT"),
    );
  });
});

describe("backoff", () => {
  it("doubles from the minimum up to the maximum, with jitter, and resets", () => {
    const b = new Backoff(10, 100, new SeededRng(3));
    const delays = Array.from({ length: 8 }, () => b.nextDelayMs());
    const ceilings = [10, 20, 40, 80, 100, 100, 100, 100];
    delays.forEach((d, i) => {
      const c = ceilings[i] as number;
      assert.ok(d >= c / 2 && d <= c, `attempt ${i}: ${d} not in [${c / 2}, ${c}]`);
    });
    b.reset();
    assert.ok(b.nextDelayMs() <= 10);
  });
});
