/**
 * Tests of the hybrid logical clock's monotonicity and merge rules.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { HLC_LOGICAL_MAX, HlcClock, hlcLogical, hlcPack, hlcPhysicalMs } from "./hlc.js";

describe("HlcClock", () => {
  it("uses physical time when it moves forward", () => {
    const c = new HlcClock();
    assert.equal(c.now(1000), hlcPack(1000, 0));
    assert.equal(c.now(1005), hlcPack(1005, 0));
  });

  it("counts logically when physical time stalls or goes back", () => {
    const c = new HlcClock();
    c.now(1000);
    assert.equal(c.now(1000), hlcPack(1000, 1));
    assert.equal(c.now(900), hlcPack(1000, 2));
  });

  it("jumps ahead to a remote timestamp from the future and stays after it", () => {
    const c = new HlcClock();
    c.now(1000);
    assert.equal(c.update(hlcPack(2000, 7), 1001), hlcPack(2000, 8));
    assert.equal(c.now(1002), hlcPack(2000, 9));
    assert.equal(c.update(hlcPack(2000, 3), 1003), hlcPack(2000, 10));
    assert.equal(c.update(hlcPack(10, 3), 3000), hlcPack(3000, 0));
  });

  it("moves the physical part on when the logical counter would overflow", () => {
    const c = new HlcClock();
    c.update(hlcPack(50, HLC_LOGICAL_MAX), 50);
    assert.equal(c.last(), hlcPack(51, 0));
  });

  it("refuses a remote clock too far ahead", () => {
    const c = new HlcClock(500);
    assert.throws(() => c.update(hlcPack(2000, 0), 1000), { code: "INVALID_ARGUMENT" });
  });

  it("packs and unpacks", () => {
    const ts = hlcPack(1_700_000_000_123, 42);
    assert.equal(hlcPhysicalMs(ts), 1_700_000_000_123);
    assert.equal(hlcLogical(ts), 42);
  });

  it("is strictly monotonic and never behind physical time under any inputs", () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant("now" as const), phys: fc.integer({ min: 0, max: 5000 }) }),
      fc.record({
        kind: fc.constant("update" as const),
        phys: fc.integer({ min: 0, max: 5000 }),
        remoteMs: fc.integer({ min: 0, max: 5000 }),
        remoteLogical: fc.integer({ min: 0, max: HLC_LOGICAL_MAX }),
      }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const c = new HlcClock();
        let prev = -1n;
        let maxPhys = 0;
        for (const s of steps) {
          maxPhys = Math.max(maxPhys, s.phys);
          const ts =
            s.kind === "now"
              ? c.now(s.phys)
              : c.update(hlcPack(s.remoteMs, s.remoteLogical), s.phys);
          assert.ok(ts > prev);
          if (s.kind === "update") assert.ok(ts > hlcPack(s.remoteMs, s.remoteLogical));
          assert.ok(hlcPhysicalMs(ts) >= maxPhys);
          prev = ts;
        }
      }),
    );
  });
});
