import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nodeId, rangeId } from "../../lib/index.js";
import { planViolations } from "./invariants.js";
import { keyAt, load, node, nodes, range, settings } from "./testing/fixtures.js";
import type { PlannedAction } from "./types.js";

const r1 = rangeId(1);
const r2 = rangeId(2);

describe("planViolations", () => {
  const ns = [...nodes(3), node(4, { liveness: "dead" }), node(5)];
  const input = {
    nodes: ns,
    ranges: [range(1, [1, 2, 4], { leaderId: 1 }), range(2, [1, 2, 3], { leaderId: 2 })],
    settings: settings(),
  };
  const check = (...plan: PlannedAction[]) => planViolations(input, plan);

  it("accepts a safe plan", () => {
    assert.deepEqual(check({ kind: "add-voter", rangeId: r1, nodeId: nodeId(5), reason: "" }), []);
  });

  it("flags a removal that loses the live quorum", () => {
    const v = check({ kind: "remove", rangeId: r1, nodeId: nodeId(2), reason: "" });
    assert.ok(v.some((s) => s.includes("loses the live quorum")));
  });

  it("flags a dead replica removed before its replacement", () => {
    const v = check({ kind: "remove", rangeId: r1, nodeId: nodeId(4), reason: "" });
    assert.ok(v.some((s) => s.includes("before its replacement")));
  });

  it("flags a healthy replica removed below the replication factor, and a live leader removed", () => {
    const v = check({ kind: "remove", rangeId: r2, nodeId: nodeId(2), reason: "" });
    assert.ok(v.some((s) => s.includes("healthy voters < 3")));
    assert.ok(v.some((s) => s.includes("while it leads")));
  });

  it("flags an add on a dead node and two actions for one range", () => {
    const v = check(
      { kind: "add-voter", rangeId: r2, nodeId: nodeId(4), reason: "" },
      { kind: "transfer-leader", rangeId: r2, to: nodeId(3), reason: "" },
    );
    assert.ok(v.some((s) => s.includes("unhealthy node 4")));
    assert.ok(v.some((s) => s.includes("more than one action")));
  });

  it("flags a split outside the span or within bounds, and a merge of unlike ranges", () => {
    const split = planViolations(
      {
        ...input,
        ranges: [range(2, [1, 2, 3], { load: load(1, 1, 1), splitKey: keyAt(9000) })],
      },
      [{ kind: "split", rangeId: r2, splitKey: keyAt(9000), reason: "" }],
    );
    assert.ok(split.some((s) => s.includes("outside its span")));
    assert.ok(split.some((s) => s.includes("within its bounds")));
    const merge = check({ kind: "merge", leftRangeId: r1, rightRangeId: r2, reason: "" });
    assert.ok(merge.some((s) => s.includes("involves range 1")));
    assert.ok(merge.some((s) => s.includes("replica sets differ")));
  });
});
