import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertNever, isTesseraError } from "../../lib/index.js";
import { type ClusterPlanInput, planCluster } from "./plan.js";
import { checkPlannerSettings } from "./settings.js";
import { keyAt, load, node, nodes, range, ranges, settings } from "./testing/fixtures.js";
import { applyPlan, runToFixedPoint } from "./testing/simulate.js";
import type { PlannedAction } from "./types.js";

/** Actions as short tuples, for readable expectations. */
const brief = (plan: readonly PlannedAction[]) =>
  plan.map((a) => {
    switch (a.kind) {
      case "add-voter":
      case "remove":
        return [a.kind, a.rangeId, a.nodeId];
      case "transfer-leader":
        return [a.kind, a.rangeId, a.to];
      case "split":
        return [a.kind, a.rangeId];
      case "merge":
        return [a.kind, a.leftRangeId, a.rightRangeId];
      default:
        return assertNever(a, "planned action");
    }
  });

const input = (
  ns: ClusterPlanInput["nodes"],
  rs: ClusterPlanInput["ranges"],
  over: Parameters<typeof settings>[0] = {},
): ClusterPlanInput => ({ nodes: ns, ranges: rs, settings: settings(over) });

describe("planCluster: repair", () => {
  it("plans nothing for a healthy, balanced cluster", () => {
    assert.deepEqual(planCluster(input(nodes(3), [range(1, [1, 2, 3])])), []);
  });

  it("removes a voter left on a removed node", () => {
    const ns = [...nodes(3), node(4, { liveness: "dead", state: "removed" })];
    assert.deepEqual(brief(planCluster(input(ns, [range(1, [1, 2, 3, 4])]))), [["remove", 1, 4]]);
  });

  it("replaces a dead voter: adds elsewhere first, removes the dead one in a later plan", () => {
    const ns = [...nodes(3), node(4, { liveness: "dead" }), node(5)];
    let state = input(ns, [range(1, [1, 2, 4])]);
    const first = planCluster(state);
    assert.deepEqual(brief(first), [["add-voter", 1, 3]]);
    state = applyPlan(state, first);
    assert.deepEqual(brief(planCluster(state)), [["remove", 1, 4]]);
  });

  it("keeps a dead voter when no node can take its replica", () => {
    const ns = [...nodes(2), node(3, { liveness: "dead" })];
    assert.deepEqual(planCluster(input(ns, [range(1, [1, 2, 3])])), []);
  });

  it("plans nothing for a range that has lost its live quorum", () => {
    const ns = [node(1), node(2, { liveness: "dead" }), node(3, { liveness: "dead" }), node(4)];
    assert.deepEqual(planCluster(input(ns, [range(1, [1, 2, 3])])), []);
  });

  it("leaves a suspect voter in place: it counts toward the replication factor", () => {
    const ns = [...nodes(3), node(4, { liveness: "suspect" })];
    assert.deepEqual(planCluster(input(ns, [range(1, [1, 2, 4], { leaderId: 1 })])), []);
  });

  it("up-replicates a range short of voters onto the least loaded node", () => {
    const rs = [range(1, [1, 2]), range(2, [1, 2, 3], { leaderId: 2 })];
    assert.deepEqual(brief(planCluster(input(nodes(4), rs))), [["add-voter", 1, 4]]);
  });

  it("promotes a learner left by an interrupted add when the range lacks voters", () => {
    const plan = planCluster(input(nodes(3), [range(1, [1, 2], { learners: [3] })]));
    assert.deepEqual(brief(plan), [["add-voter", 1, 3]]);
  });

  it("removes a surplus learner and a learner on a dead node", () => {
    const ns = [...nodes(4), node(5, { liveness: "dead" })];
    const plan = planCluster(
      input(ns, [range(1, [1, 2, 3], { learners: [4] }), range(2, [1, 2, 3], { learners: [5] })]),
    );
    assert.deepEqual(brief(plan), [
      ["remove", 2, 5],
      ["remove", 1, 4],
    ]);
  });

  it("trims an over-replicated range on its most loaded node, keeping the leader", () => {
    const rs = [range(1, [1, 2, 3, 4]), range(2, [2, 3, 5]), range(3, [3, 4, 5])];
    const plan = planCluster(input(nodes(5), rs));
    // Node 3 holds three replicas, more than any other member of range 1.
    assert.deepEqual(brief(plan), [["remove", 1, 3]]);
  });

  it("hands the leadership over before removing the leader's replica", () => {
    const rs = [range(1, [1, 2, 3, 4], { leaderId: 1 }), range(2, [1, 5, 6])];
    const plan = planCluster(input(nodes(6), rs));
    assert.deepEqual(brief(plan), [["transfer-leader", 1, 2]]);
  });

  it("never removes a healthy voter when fewer healthy voters than the factor would stay", () => {
    const ns = [...nodes(3), node(4, { liveness: "suspect" })];
    // Keepers 1,2,3,4 exceed the factor, but only the suspect one may go.
    const plan = planCluster(input(ns, [range(1, [1, 2, 3, 4], { leaderId: 2 })]));
    assert.deepEqual(brief(plan), [["remove", 1, 4]]);
  });

  it("trims only a voter whose removal keeps a live quorum, and moves no leader for the others", () => {
    // Node 4 is suspect, in a region of its own: keeping it is the most diverse
    // choice, but without node 1 or 3 the voters {the other, 4} have no live quorum.
    const ns = [node(1), node(3), node(4, { liveness: "suspect", locality: { region: "a" } })];
    const rs = [
      range(1, [1, 3, 4], { leaderId: 1 }),
      range(2, [1, 3, 4], { leaderId: 3 }),
      range(3, [1]),
    ];
    const c = input(ns, rs, { replicationFactor: 1, rebalanceThreshold: 0, actionsPerPlanMax: 2 });
    assert.deepEqual(brief(planCluster(c)), [
      ["remove", 1, 4],
      ["remove", 2, 4],
    ]);
    assert.ok(runToFixedPoint(c, 20).converged);
  });

  it("reaches a fixed point with a suspect voter and ranges without voters (fast-check counterexample)", () => {
    // plan-properties "reaches a fixed point", seed -1288739833: ranges 3 and 4
    // handed their leaderships to and fro for a removal of node 1 the quorum forbade.
    const ns = [
      ...nodes(3),
      node(4, { liveness: "suspect", locality: { region: "a" } }),
      node(5),
      node(6),
    ];
    const rs = [
      range(1, []),
      range(2, [], { load: load(0, 0, 0) }),
      range(3, [4, 3, 1], { leaderId: 4 }),
      range(4, [3, 4, 1], { leaderId: 3 }),
      range(5, [], { load: load(10, 1000, 1) }),
      range(6, []),
      range(7, [], { learners: [1] }),
      range(8, [], { load: load(0, 0, 0) }),
      range(9, [1], { leaderId: 1 }),
    ];
    const c = input(ns, rs, { replicationFactor: 1, rebalanceThreshold: 0 });
    const result = runToFixedPoint(c, 50);
    assert.ok(result.converged, `no fixed point after ${result.passes} passes`);
    assert.ok(result.passes <= 10, `${result.passes} passes`);
    for (const id of [3, 4, 9]) {
      const r = result.state.ranges.find((x) => x.rangeId === id);
      assert.equal(r?.voters.length, 1, `range ${id}`);
    }
  });

  it("bounds the membership actions of one plan by half the nodes", () => {
    const plan = planCluster(
      input(
        nodes(5),
        ranges(10, () => [1]),
      ),
    );
    assert.equal(plan.length, 2);
    assert.deepEqual(brief(plan), [
      ["add-voter", 1, 2],
      ["add-voter", 2, 3],
    ]);
  });

  it("honours an explicit actionsPerPlanMax", () => {
    const plan = planCluster(
      input(
        nodes(5),
        ranges(10, () => [1]),
        { actionsPerPlanMax: 4 },
      ),
    );
    assert.equal(plan.length, 4);
  });

  it("repairs dead replicas before draining a decommissioning node", () => {
    const ns = [
      ...nodes(4),
      node(5, { liveness: "dead" }),
      node(6, { state: "decommissioning" }),
      node(7),
    ];
    const rs = [range(1, [1, 2, 6], { leaderId: 1 }), range(2, [1, 3, 5])];
    // Seven nodes, six not removed: three membership actions; the dead repair comes first.
    const plan = planCluster(input(ns, rs, { actionsPerPlanMax: 1 }));
    assert.deepEqual(brief(plan), [["add-voter", 2, 4]]);
  });
});

describe("planCluster: decommission", () => {
  it("moves the leader off a decommissioning node, then adds a replica, then removes", () => {
    const ns = [node(1, { state: "decommissioning" }), node(2), node(3), node(4)];
    let state = input(ns, [range(1, [1, 2, 3], { leaderId: 1 })]);
    const steps: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const plan = planCluster(state);
      steps.push(...brief(plan));
      state = applyPlan(state, plan);
    }
    assert.deepEqual(steps, [
      ["transfer-leader", 1, 2],
      ["add-voter", 1, 4],
      ["remove", 1, 1],
    ]);
  });

  it("stalls a drain (after moving its leaders) when no node can take the replicas", () => {
    const ns = [node(1, { state: "decommissioning" }), node(2), node(3)];
    const state = input(ns, [range(1, [1, 2, 3], { leaderId: 1 })]);
    const result = runToFixedPoint(state, 10);
    assert.ok(result.converged);
    assert.deepEqual(result.state.ranges[0]?.voters, [1, 2, 3]);
    assert.equal(result.state.ranges[0]?.leaderId, 2);
  });
});

describe("planCluster: locality diversity", () => {
  const region = (r: string) => ({ locality: { region: r } });

  it("up-replicates into a region the range has no replica in", () => {
    const ns = [node(1, region("eu")), node(2, region("eu")), node(3, region("us"))];
    const plan = planCluster(input(ns, [range(1, [1])]));
    assert.deepEqual(brief(plan), [["add-voter", 1, 3]]);
  });

  it("swaps a replica into an unused region: add first, then remove a doubled one", () => {
    const ns = [
      node(1, region("eu")),
      node(2, region("eu")),
      node(3, region("us")),
      node(4, region("asia")),
    ];
    let state = input(ns, [range(1, [1, 2, 3])]);
    const first = planCluster(state);
    assert.deepEqual(brief(first), [["add-voter", 1, 4]]);
    state = applyPlan(state, first);
    // Node 1 leads; node 2 is the eu replica that goes.
    assert.deepEqual(brief(planCluster(state)), [["remove", 1, 2]]);
  });

  it("spreads over zones within one region", () => {
    const zone = (z: string) => ({ locality: { region: "eu", zone: z } });
    const ns = [node(1, zone("a")), node(2, zone("a")), node(3, zone("b")), node(4, zone("c"))];
    const result = runToFixedPoint(input(ns, [range(1, [1, 2, 3])]), 10);
    assert.ok(result.converged);
    const zones = result.state.ranges[0]?.voters.map((id) => ns[id - 1]?.record.locality.zone);
    assert.deepEqual(new Set(zones), new Set(["a", "b", "c"]));
  });
});

describe("planCluster: leaders", () => {
  it("balances leaders across the voters' nodes", () => {
    const rs = ranges(9, () => [1, 2, 3]);
    const result = runToFixedPoint(input(nodes(3), rs), 20);
    assert.ok(result.converged);
    const counts = [1, 2, 3].map(
      (id) => result.state.ranges.filter((r) => r.leaderId === id).length,
    );
    assert.deepEqual(counts, [3, 3, 3]);
  });

  it("moves leaders into the preferred locality when a voter is there", () => {
    const ns = [
      node(1, { locality: { region: "us" } }),
      node(2, { locality: { region: "us" } }),
      node(3, { locality: { region: "eu" } }),
    ];
    const plan = planCluster(
      input(ns, [range(1, [1, 2, 3], { leaderId: 1 })], { leaderPreference: { region: "eu" } }),
    );
    assert.deepEqual(brief(plan), [["transfer-leader", 1, 3]]);
  });

  it("never moves a leader to a suspect or decommissioning node", () => {
    const ns = [
      node(1),
      node(2, { liveness: "suspect" }),
      node(3, { state: "decommissioning" }),
      node(4),
    ];
    const rs = ranges(4, () => [1, 2, 3]);
    const result = runToFixedPoint(input(ns, rs, { replicationFactor: 3 }), 30, (_, plan) => {
      for (const a of plan) if (a.kind === "transfer-leader") assert.ok(a.to === 1 || a.to === 4);
    });
    assert.ok(result.converged);
  });
});

describe("planCluster: splits", () => {
  // Leaders spread by range id, so no leader transfer competes with a split.
  const big = (id: number, l = load(10, 100 * 2 ** 20, 1)) =>
    range(id, [1, 2, 3], { load: l, splitKey: keyAt(id * 1000 + 500), leaderId: 1 + (id % 3) });

  it("splits a range over its size, key count or load bound at its split key", () => {
    const rs = [
      big(2),
      big(3, load(600_000, 1, 1)),
      big(4, load(1, 1, 5_000)),
      big(5, load(1, 1, 1)),
    ];
    const plan = planCluster(input(nodes(3), rs, { actionsPerPlanMax: 5 }));
    assert.deepEqual(brief(plan), [
      ["split", 4],
      ["split", 2],
      ["split", 3],
    ]);
    const split = plan[0];
    assert.ok(split?.kind === "split");
    assert.deepEqual(split.splitKey, keyAt(4500));
  });

  it("does not split range 1, an unsplittable range, outside the span or without a key", () => {
    const huge = load(1, 2 ** 30, 1);
    const rs = [
      range(1, [1, 2, 3], { load: huge, splitKey: keyAt(1500), leaderId: 1 }),
      range(2, [1, 2, 3], { load: huge, splitKey: keyAt(2500), splittable: false, leaderId: 2 }),
      range(3, [1, 2, 3], { load: huge, splitKey: keyAt(3000), leaderId: 3 }),
      range(4, [1, 2, 3], { load: huge, splitKey: undefined, leaderId: 1 }),
    ];
    assert.deepEqual(planCluster(input(nodes(3), rs)), []);
  });

  it("stops splitting at rangesMax", () => {
    const plan = planCluster(input(nodes(3), [big(2), big(3)], { rangesMax: 3 }));
    assert.deepEqual(brief(plan), [["split", 2]]);
  });
});

describe("planCluster: merges", () => {
  const cold = load(10, 1000, 1);
  /** Two neighbours led by different nodes, so no leader transfer competes with the merge. */
  const pair = (
    a: Parameters<typeof range>[2] & { id?: number },
    b: Parameters<typeof range>[2] & { id?: number },
  ) => [
    range(a.id ?? 2, [1, 2, 3], { load: cold, leaderId: 1, ...a }),
    range(b.id ?? 3, [1, 2, 3], { load: cold, leaderId: 2, ...b }),
  ];

  it("merges two small, cold neighbours with the same voters", () => {
    assert.deepEqual(brief(planCluster(input(nodes(3), pair({}, {})))), [["merge", 2, 3]]);
  });

  it("does not merge range 1, across keyspaces, hot or big ranges, or non-neighbours", () => {
    const cases: Record<string, ReturnType<typeof pair>> = {
      "range 1": pair({ id: 1 }, { id: 2 }),
      "two keyspaces": pair({}, { keyspace: 2 }),
      "spans over keyspaces": pair({ keyspace: undefined }, { keyspace: undefined }),
      hot: pair({ load: load(1, 1, 500) }, {}),
      big: pair({ load: load(1, 10 * 2 ** 20, 1) }, { load: load(1, 7 * 2 ** 20, 1) }),
      "many keys": pair({ load: load(70_000, 1, 1) }, { load: load(70_000, 1, 1) }),
      "not neighbours": pair({}, { id: 4 }),
      "load unknown": pair({ load: undefined }, {}),
    };
    for (const [what, rs] of Object.entries(cases)) {
      assert.deepEqual(planCluster(input(nodes(3), rs)), [], what);
    }
  });

  it("never pairs ranges for a merge when mergeBytesMax is 0", () => {
    const rs = [
      range(2, [1, 2, 3], { load: load(0, 0, 0), leaderId: 1 }),
      range(3, [1, 2, 4], { load: load(0, 0, 0), leaderId: 2 }),
    ];
    assert.deepEqual(planCluster(input(nodes(4), rs, { mergeBytesMax: 0 })), []);
    assert.notDeepEqual(planCluster(input(nodes(4), rs)), []);
  });

  it("first moves the right range's replicas onto the left's nodes, then merges", () => {
    // Node 4 holds the fewest replicas, yet it is the one the right range gives up.
    const rs = [
      range(2, [1, 2, 3], { load: cold, leaderId: 1 }),
      range(3, [1, 2, 4], { load: cold, leaderId: 2 }),
      range(4, [1, 2, 3], { leaderId: 3 }),
      range(5, [1, 2, 3], { leaderId: 3 }),
    ];
    const steps: unknown[] = [];
    const result = runToFixedPoint(input(nodes(4), rs), 20, (_, plan) => {
      const mine = plan.filter((a) => a.kind === "merge" || a.rangeId === 2 || a.rangeId === 3);
      steps.push(...brief(mine));
    });
    assert.ok(result.converged);
    assert.deepEqual(steps.slice(0, 3), [
      ["add-voter", 3, 3],
      ["remove", 3, 4],
      ["merge", 2, 3],
    ]);
  });

  it("does not merge the halves of a split back (merge bounds are below half the split bounds)", () => {
    const rs = [range(2, [1, 2, 3], { load: load(100, 70 * 2 ** 20, 300), splitKey: keyAt(2500) })];
    const result = runToFixedPoint(input(nodes(3), rs), 10, (_, plan) => {
      assert.ok(plan.every((a) => a.kind !== "merge"));
    });
    assert.ok(result.converged);
    assert.equal(result.state.ranges.length, 2);
  });
});

describe("checkPlannerSettings", () => {
  const rejects = (over: Parameters<typeof settings>[0]) =>
    assert.throws(
      () => checkPlannerSettings(settings(over)),
      (e) => isTesseraError(e, "INVALID_ARGUMENT"),
    );

  it("accepts the defaults", () => {
    checkPlannerSettings(settings());
  });

  it("rejects bounds that would let splits and merges undo each other", () => {
    rejects({ mergeBytesMax: 40 * 2 ** 20 });
    rejects({ mergeKeysMax: 300_000 });
    rejects({ mergeOpsPerSecMax: 600 });
  });

  it("rejects a non-positive replication factor or budget and a negative threshold", () => {
    rejects({ replicationFactor: 0 });
    rejects({ actionsPerPlanMax: 0 });
    rejects({ rebalanceThreshold: -1 });
  });
});
