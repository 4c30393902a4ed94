/**
 * Tests of `DueQueue`: items come out in time order, only once due.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DueQueue } from "./due-queue.js";

describe("DueQueue", () => {
  it("gives nothing before the earliest item is due", () => {
    const q = new DueQueue<string>();
    q.push(20, "b");
    q.push(10, "a");
    assert.equal(q.popDue(9), undefined);
    assert.deepEqual(q.popDue(10), { atMs: 10, item: "a" });
    assert.equal(q.popDue(19), undefined);
    assert.equal(q.size, 1);
  });

  it("takes every due item in time order, whatever the order of pushes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 200 }),
        fc.integer({ min: 0, max: 1000 }),
        (times, now) => {
          const q = new DueQueue<number>();
          for (const [i, t] of times.entries()) q.push(t, i);
          const out: number[] = [];
          for (let d = q.popDue(now); d !== undefined; d = q.popDue(now)) out.push(d.atMs);
          assert.deepEqual(
            out,
            times.filter((t) => t <= now).sort((a, b) => a - b),
          );
          assert.equal(q.size, times.filter((t) => t > now).length);
        },
      ),
    );
  });
});
