/**
 * Scenario tests: a cluster changes (nodes join, fail, leave), the planner is
 * applied again and again through the simulator, and the cluster must reach
 * a plan with nothing to do, within a bounded number of passes, in the
 * shape the rules promise.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClusterPlanInput } from "./plan.js";
import { node, nodes, ranges, settings } from "./testing/fixtures.js";
import { leaderCountsOf, replicaCountsOf, runToFixedPoint } from "./testing/simulate.js";
import type { NodeView, PlannedAction, PlannerSettings } from "./types.js";

const RANGES = 64;

/** Healthy nodes' replica counts differ by at most `rebalanceThreshold` of the mean plus one. */
function assertBalanced(state: ClusterPlanInput, ids: readonly number[]): void {
  const counts = replicaCountsOf(state);
  const values = ids.map((id) => counts.get(id) ?? 0);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const gap = Math.max(...values) - Math.min(...values);
  const bound = state.settings.rebalanceThreshold * mean + 1;
  assert.ok(gap <= bound, `replica counts ${values.join(",")} differ by ${gap} > ${bound}`);
}

/** Every node leads within `rebalanceThreshold` of the mean, plus one. */
function assertLeadersNearMean(state: ClusterPlanInput, ids: readonly number[]): void {
  const counts = leaderCountsOf(state);
  const values = ids.map((id) => counts.get(id) ?? 0);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const band = state.settings.rebalanceThreshold * mean + 1;
  for (const v of values) assert.ok(Math.abs(v - mean) <= band, `leaders ${values.join(",")}`);
}

function run(start: ClusterPlanInput, passesMax: number) {
  let membershipMax = 0;
  const result = runToFixedPoint(start, passesMax, (_, plan: readonly PlannedAction[]) => {
    const moves = plan.filter((a) => a.kind === "add-voter" || a.kind === "remove").length;
    membershipMax = Math.max(membershipMax, moves);
  });
  assert.ok(result.converged, `no fixed point after ${passesMax} passes`);
  return { ...result, membershipMax };
}

const state = (
  ns: readonly NodeView[],
  voters: (i: number) => readonly number[],
  over: Partial<PlannerSettings> = {},
): ClusterPlanInput => ({ nodes: ns, ranges: ranges(RANGES, voters), settings: settings(over) });

describe("convergence: locality diversity", () => {
  const regions = ["eu", "eu", "us", "us", "asia", "asia"];
  const ns = regions.map((region, i) => node(i + 1, { locality: { region } }));
  const regionOf = (id: number) => regions[id - 1];

  it("puts one replica in each of 3 regions (2 nodes each) for every range", () => {
    // Every range starts on nodes 1, 2 (eu) and 3 (us): two in one region, none in asia.
    const result = run(
      state(ns, () => [1, 2, 3]),
      400,
    );
    for (const r of result.state.ranges) {
      assert.deepEqual(new Set(r.voters.map(regionOf)), new Set(["eu", "us", "asia"]));
      assert.equal(r.voters.length, 3);
    }
    assertBalanced(result.state, [1, 2, 3, 4, 5, 6]);
    assert.ok(result.membershipMax <= 3);
  });

  it("keeps leaders in the preferred region", () => {
    const result = run(
      state(ns, () => [1, 3, 5], { leaderPreference: { region: "us" } }),
      400,
    );
    for (const r of result.state.ranges) assert.equal(regionOf(r.leaderId), "us");
    const leaders = leaderCountsOf(result.state);
    assert.ok(Math.abs((leaders.get(3) ?? 0) - (leaders.get(4) ?? 0)) <= 5);
  });
});

describe("convergence: rebalancing", () => {
  it("spreads 64 ranges from 3 nodes over 5 within the rebalance bound", () => {
    const result = run(
      state(nodes(5), () => [1, 2, 3]),
      400,
    );
    assertBalanced(result.state, [1, 2, 3, 4, 5]);
    assert.ok(result.membershipMax <= 2, "at most nodes/2 membership actions per plan");
    for (const r of result.state.ranges) assert.equal(r.voters.length, 3);
    assertLeadersNearMean(result.state, [1, 2, 3, 4, 5]);
  });

  it("drains 2 of 5 nodes back to 3 by decommission", () => {
    const grown = run(
      state(nodes(5), () => [1, 2, 3]),
      400,
    ).state;
    const draining = [
      ...nodes(3),
      node(4, { state: "decommissioning" }),
      node(5, { state: "decommissioning" }),
    ];
    const result = run({ ...grown, nodes: draining }, 400);
    const counts = replicaCountsOf(result.state);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((id) => counts.get(id) ?? 0),
      [RANGES, RANGES, RANGES, 0, 0],
    );
    assert.ok(result.state.ranges.every((r) => r.leaderId !== 4 && r.leaderId !== 5));
  });

  it("replaces the replicas of a dead node and rebalances the rest", () => {
    const grown = run(
      state(nodes(5), () => [1, 2, 3]),
      400,
    ).state;
    const failed = [...nodes(4), node(5, { liveness: "dead" })];
    const result = run({ ...grown, nodes: failed }, 400);
    assert.ok(result.state.ranges.every((r) => !r.voters.includes(5 as never)));
    assert.ok(result.state.ranges.every((r) => r.voters.length === 3));
    assertBalanced(result.state, [1, 2, 3, 4]);
  });

  it("up-replicates single-replica ranges as nodes join", () => {
    const result = run(
      state(nodes(4), () => [1]),
      400,
    );
    for (const r of result.state.ranges) assert.equal(r.voters.length, 3);
    assertBalanced(result.state, [1, 2, 3, 4]);
  });
});
