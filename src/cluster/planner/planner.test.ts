import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type NodeId, nodeId, type RangeId, rangeId } from "../../lib/index.js";
import type { NodeRecord, NodeState } from "../node-record.js";
import { classifyLiveness } from "./liveness.js";
import { planDecommission, planRemoval } from "./removal.js";
import { planReplication } from "./replication.js";
import type { Liveness, NodeView, RangeView } from "./types.js";

const n = (
  id: number,
  liveness: Liveness = "live",
  state: NodeState = "active",
  zone = "",
): NodeView => {
  const record: NodeRecord = {
    id: nodeId(id),
    address: `127.0.0.1:${17000 + id}`,
    respAddress: `127.0.0.1:${7000 + id}`,
    httpAddress: `127.0.0.1:${8000 + id}`,
    locality: zone === "" ? {} : { zone },
    state,
    joinedAtMs: 0,
  };
  return { record, liveness };
};
const r = (id: number, voters: number[], learners: number[] = []): RangeView => ({
  rangeId: rangeId(id) as RangeId,
  voters: voters.map((v) => nodeId(v) as NodeId),
  learners: learners.map((v) => nodeId(v) as NodeId),
});

describe("planReplication", () => {
  it("adds a joining node to every range short of the replication factor", () => {
    const plan = planReplication({
      nodes: [n(1), n(2)],
      ranges: [r(1, [1]), r(2, [1])],
      replicationFactor: 3,
    });
    assert.deepEqual(
      plan.map((c) => [c.rangeId, c.change.kind, c.change.nodeId]),
      [
        [1, "add-voter", 2],
        [2, "add-voter", 2],
      ],
    );
  });

  it("leaves full ranges alone, so a late joiner stays a spare", () => {
    const plan = planReplication({
      nodes: [n(1), n(2), n(3), n(4)],
      ranges: [r(1, [1, 2, 3]), r(2, [1, 2, 3])],
      replicationFactor: 3,
    });
    assert.deepEqual(plan, []);
  });

  it("never places a replica on a dead, suspect or decommissioning node", () => {
    const plan = planReplication({
      nodes: [n(1), n(2, "dead"), n(3, "suspect"), n(4, "live", "decommissioning")],
      ranges: [r(1, [1])],
      replicationFactor: 3,
    });
    assert.deepEqual(plan, []);
  });

  it("prefers a locality the range has no replica in, then the least loaded node", () => {
    const plan = planReplication({
      nodes: [
        n(1, "live", "active", "a"),
        n(2, "live", "active", "a"),
        n(3, "live", "active", "b"),
      ],
      ranges: [r(1, [1])],
      replicationFactor: 2,
    });
    assert.equal(plan[0]?.change.nodeId, 3);
  });

  it("plans away a replica left on a removed node", () => {
    const plan = planReplication({
      nodes: [n(1), n(2), n(3, "dead", "removed")],
      ranges: [r(1, [1, 2, 3])],
      replicationFactor: 3,
    });
    assert.deepEqual(plan[0]?.change, { kind: "remove", nodeId: 3 });
  });
});

describe("planRemoval", () => {
  it("removes the node from every range it holds", () => {
    const plan = planRemoval({
      target: nodeId(3),
      nodes: [n(1), n(2), n(3)],
      ranges: [r(1, [1, 2, 3]), r(2, [1, 2, 3])],
    });
    assert.ok(plan.ok);
    assert.equal(plan.changes.length, 2);
  });

  it("refuses a removal that leaves a range without a live quorum", () => {
    const plan = planRemoval({
      target: nodeId(3),
      nodes: [n(1), n(2, "dead"), n(3)],
      ranges: [r(1, [1, 2, 3])],
    });
    assert.equal(plan.ok, false);
    assert.match(plan.ok ? "" : plan.reason, /no quorum of live voters/);
  });

  it("allows removing a dead node when the others are live", () => {
    const plan = planRemoval({
      target: nodeId(3),
      nodes: [n(1), n(2), n(3, "dead")],
      ranges: [r(1, [1, 2, 3])],
    });
    assert.ok(plan.ok);
  });

  it("refuses to remove a range's only voter", () => {
    const plan = planRemoval({ target: nodeId(1), nodes: [n(1)], ranges: [r(1, [1])] });
    assert.equal(plan.ok, false);
  });
});

describe("planDecommission", () => {
  it("moves each replica to a spare before removing the node", () => {
    const plan = planDecommission({
      target: nodeId(2),
      nodes: [n(1), n(2), n(3), n(4)],
      ranges: [r(1, [1, 2, 3])],
    });
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.changes.map((c) => c.change),
      [
        { kind: "add-voter", nodeId: 4 },
        { kind: "remove", nodeId: 2 },
      ],
    );
  });

  it("shrinks the range when there is no spare", () => {
    const plan = planDecommission({
      target: nodeId(2),
      nodes: [n(1), n(2), n(3)],
      ranges: [r(1, [1, 2, 3])],
    });
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.changes.map((c) => c.change.kind),
      ["remove"],
    );
  });
});

describe("classifyLiveness", () => {
  const bounds = { suspectAfterMs: 3000, deadAfterMs: 60000 };
  it("is live, then suspect, then dead as silence grows", () => {
    assert.equal(classifyLiveness(0, bounds), "live");
    assert.equal(classifyLiveness(3000, bounds), "suspect");
    assert.equal(classifyLiveness(60000, bounds), "dead");
  });
});
