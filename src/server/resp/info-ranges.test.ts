/**
 * INFO's ranges section: its totals count only the ranges this node leads,
 * its replica lines follow Redis's `db0:keys=…` form, and it stays bounded.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rangesSection } from "./info-ranges.js";
import type { RespLocalRange } from "./options.js";

const range = (rangeId: number, role: RespLocalRange["role"], keys: number): RespLocalRange => ({
  rangeId,
  role,
  span: rangeId === 1 ? "system" : "slots 0-16383",
  keys,
  bytes: keys * 100,
  opsPerSec: keys / 4,
});

const text = (fields: readonly (readonly [string, string | number])[]) =>
  fields.map(([k, v]) => `${k}:${v}`).join("\n");

describe("INFO ranges", () => {
  it("sums the ranges this node leads and lists every replica like Redis's db lines", () => {
    const section = rangesSection([range(1, "follower", 3), range(2, "leader", 10)]);
    assert.equal(
      text(section),
      [
        "ranges:2",
        "ranges_leading:1",
        "ranges_keys:10",
        "ranges_bytes:1000",
        "ranges_ops_per_sec:2.50",
        "range1:role=follower,span=system,keys=3,bytes=300,ops_per_sec=0.75",
        "range2:role=leader,span=slots 0-16383,keys=10,bytes=1000,ops_per_sec=2.50",
      ].join("\n"),
    );
  });

  it("shows zero totals for a node without replicas", () => {
    assert.equal(
      text(rangesSection([])),
      "ranges:0\nranges_leading:0\nranges_keys:0\nranges_bytes:0\nranges_ops_per_sec:0.00",
    );
  });

  it("lists at most linesMax replicas and says how many it left out, totals still over all", () => {
    const many = Array.from({ length: 25 }, (_, i) => range(i + 2, "leader", 1));
    const section = rangesSection(many, 10);
    assert.equal(section.filter(([k]) => /^range\d+$/.test(k)).length, 10);
    assert.deepEqual(section.at(-1), ["ranges_not_listed", 15]);
    assert.deepEqual(section[0], ["ranges", 25]);
    assert.deepEqual(section[2], ["ranges_keys", 25]);
  });
});
