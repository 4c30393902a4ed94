/**
 * Properties of `planCluster` over random clusters (fast-check): nodes with
 * random liveness, state and locality (plus ids missing from the table),
 * ranges with random voters, learners, leaders, spans, loads and split keys,
 * random settings. The safety rules are checked here by code written apart
 * from invariants.ts, straight from their statement in plan.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compareBytes, equalBytes, type NodeId } from "../../lib/index.js";
import { type ClusterPlanInput, planCluster } from "./plan.js";
import { keyAt, node, range, settings } from "./testing/fixtures.js";
import { replicaCountsOf, runToFixedPoint } from "./testing/simulate.js";
import type { Liveness, NodeView, PlannedAction, PlannedRange, RangeLoad } from "./types.js";

const MIB = 2 ** 20;

interface Shape {
  readonly dead: boolean;
  readonly suspect: boolean;
  readonly localities: boolean;
}

const arbLocality = fc.oneof(
  fc.constant({}),
  fc.record({ region: fc.constantFrom("a", "b", "c") }),
  fc.record({ region: fc.constantFrom("a", "b", "c"), zone: fc.constantFrom("x", "y") }),
);

function arbNode(id: number, shape: Shape): fc.Arbitrary<NodeView> {
  const liveness: Liveness[] = [
    "live",
    "live",
    "live",
    ...(shape.suspect ? (["suspect"] as const) : []),
    ...(shape.dead ? (["dead"] as const) : []),
  ];
  return fc
    .record({
      liveness: fc.constantFrom(...liveness),
      state: fc.constantFrom("active", "active", "active", "decommissioning", "removed"),
      locality: shape.localities ? arbLocality : fc.constant({}),
    })
    .map((o) => node(id, o));
}

const arbLoad: fc.Arbitrary<RangeLoad | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant({ keys: 10, bytes: 1000, opsPerSec: 1 }),
  fc.record({
    keys: fc.integer({ min: 0, max: 700_000 }),
    bytes: fc.integer({ min: 0, max: 100 * MIB }),
    opsPerSec: fc.integer({ min: 0, max: 3_000 }),
  }),
);

function arbRange(id: number, ids: number, adjacent: boolean): fc.Arbitrary<PlannedRange> {
  const member = fc.integer({ min: 1, max: ids });
  return fc
    .record({
      voters: fc.uniqueArray(member, { minLength: 0, maxLength: 5 }),
      learners: fc.uniqueArray(member, { maxLength: 2 }),
      leader: fc.nat(5),
      keyspace: fc.constantFrom(1, 1, 2, undefined),
      load: arbLoad,
      split: fc.option(fc.integer({ min: 0, max: 1100 }), { nil: undefined }),
      splittable: fc.boolean(),
    })
    .map((o) =>
      range(id, o.voters, {
        learners: o.learners.filter((id) => !o.voters.includes(id)),
        leaderId: o.voters[o.leader] ?? 0,
        end: keyAt(id * 1000 + (adjacent ? 1000 : 999)),
        keyspace: o.keyspace,
        load: o.load,
        splitKey: o.split === undefined ? undefined : keyAt(id * 1000 + o.split),
        splittable: o.splittable && id !== 1,
      }),
    );
}

function arbCluster(shape: Shape): fc.Arbitrary<ClusterPlanInput> {
  return fc
    .record({ n: fc.integer({ min: 1, max: 7 }), m: fc.integer({ min: 1, max: 10 }) })
    .chain(({ n, m }) =>
      fc.record({
        // Node n + 1 is missing from the table: a replica there is on an unknown node.
        nodes: fc.tuple(...Array.from({ length: n }, (_, i) => arbNode(i + 1, shape))),
        ranges: fc.tuple(
          ...Array.from({ length: m }, (_, i) =>
            fc.boolean().chain((adjacent) => arbRange(i + 1, n + 1, adjacent)),
          ),
        ),
        settings: fc
          .record({
            replicationFactor: fc.integer({ min: 1, max: 5 }),
            rebalanceThreshold: fc.constantFrom(0, 0.1, 0.3),
            leaderPreference: fc.option(fc.constant({ region: "a" }), { nil: undefined }),
            rangesMax: fc.option(fc.integer({ min: m, max: m + 3 }), { nil: undefined }),
            actionsPerPlanMax: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
          })
          .map((s) => settings(s)),
      }),
    );
}

const anyCluster = arbCluster({ dead: true, suspect: true, localities: true });

// ---------------------------------------------------------------------------
// The rules, restated

const liveIn = (c: ClusterPlanInput) => (id: NodeId) =>
  c.nodes.some((n) => n.record.id === id && n.liveness === "live" && n.record.state !== "removed");
const viewOf = (c: ClusterPlanInput, id: NodeId) => c.nodes.find((n) => n.record.id === id);
const healthyIn = (c: ClusterPlanInput) => (id: NodeId) => {
  const v = viewOf(c, id);
  return v !== undefined && v.liveness === "live" && v.record.state === "active";
};
const keeperIn = (c: ClusterPlanInput) => (id: NodeId) => {
  const v = viewOf(c, id);
  return v !== undefined && v.liveness !== "dead" && v.record.state === "active";
};
const liveQuorum = (voters: readonly NodeId[], live: (id: NodeId) => boolean) =>
  voters.length > 0 && voters.filter(live).length > voters.length / 2;

/** Every way `plan` breaks a rule of plan.ts, checked from scratch. */
function broken(c: ClusterPlanInput, plan: readonly PlannedAction[]): string[] {
  const out: string[] = [];
  const live = liveIn(c);
  const healthy = healthyIn(c);
  const keeper = keeperIn(c);
  const rf = c.settings.replicationFactor;
  const byId = new Map(c.ranges.map((r) => [r.rangeId as number, r]));
  const touched = plan.flatMap((a) =>
    a.kind === "merge" ? [a.leftRangeId, a.rightRangeId] : [a.rangeId],
  );
  if (new Set(touched).size !== touched.length) out.push("a range has two actions");
  const members = c.nodes.filter((n) => n.record.state !== "removed").length;
  const budget = c.settings.actionsPerPlanMax ?? Math.max(1, Math.floor(members / 2));
  const count = (kinds: string[]) => plan.filter((a) => kinds.includes(a.kind)).length;
  if (count(["add-voter", "remove"]) > budget) out.push("membership over budget");
  if (count(["transfer-leader"]) > budget) out.push("transfers over budget");
  if (count(["split", "merge"]) > budget) out.push("splits and merges over budget");
  for (const a of plan) {
    if (a.kind === "merge") {
      const l = byId.get(a.leftRangeId) as PlannedRange;
      const r = byId.get(a.rightRangeId) as PlannedRange;
      const same = [...l.voters].sort().join() === [...r.voters].sort().join();
      if (!equalBytes(l.end, r.start) || l.keyspace === undefined || l.keyspace !== r.keyspace)
        out.push("merge of non-neighbours");
      if (!same || l.learners.length + r.learners.length > 0) out.push("merge of unlike replicas");
      if (l.rangeId === 1 || r.rangeId === 1) out.push("merge of range 1");
      continue;
    }
    const r = byId.get(a.rangeId) as PlannedRange;
    const v = r.voters;
    if (a.kind === "add-voter") {
      if (!healthy(a.nodeId) || v.includes(a.nodeId)) out.push(`add on node ${a.nodeId}`);
      if (!liveQuorum(v, live) || !liveQuorum([...v, a.nodeId], live)) out.push("add loses quorum");
    } else if (a.kind === "remove") {
      if (r.learners.includes(a.nodeId)) continue;
      const rest = v.filter((id) => id !== a.nodeId);
      if (!v.includes(a.nodeId)) out.push("remove of a non-member");
      if (!liveQuorum(v, live) || !liveQuorum(rest, live)) out.push("remove loses quorum");
      const state = viewOf(c, a.nodeId)?.record.state;
      if (state === "removed") continue;
      if (!keeper(a.nodeId) && rest.filter(keeper).length < rf)
        out.push("failed replica removed before its replacement");
      if (keeper(a.nodeId) && rest.filter(healthy).length < rf)
        out.push("remove takes healthy replicas below the factor");
      if (live(a.nodeId) && state === "active" && rest.filter(live).length < rf)
        out.push("remove takes live replicas below the factor");
      if (a.nodeId === r.leaderId && live(a.nodeId)) out.push("live leader removed");
    } else if (a.kind === "transfer-leader") {
      if (!v.includes(a.to) || !healthy(a.to) || a.to === r.leaderId) out.push("bad transfer");
    } else {
      const inside = compareBytes(r.start, a.splitKey) < 0 && compareBytes(a.splitKey, r.end) < 0;
      if (!r.splittable || r.rangeId === 1 || !inside) out.push("bad split");
    }
  }
  return out;
}

/** The same cluster, every list in another order. */
function reorder(c: ClusterPlanInput, k: number): ClusterPlanInput {
  const rotate = <T>(xs: readonly T[]): T[] => {
    const i = xs.length === 0 ? 0 : k % xs.length;
    return [...xs.slice(i), ...xs.slice(0, i)].reverse();
  };
  return {
    ...c,
    nodes: rotate(c.nodes),
    ranges: rotate(c.ranges).map((r) => ({
      ...r,
      voters: rotate(r.voters),
      learners: rotate(r.learners),
    })),
  };
}

// ---------------------------------------------------------------------------

describe("planCluster properties", () => {
  it("is deterministic: the same cluster in any order gives the same plan", () => {
    fc.assert(
      fc.property(anyCluster, fc.nat(), (c, k) => {
        assert.deepEqual(planCluster(reorder(c, k)), planCluster(c));
      }),
      { numRuns: 300 },
    );
  });

  it("never loses a live quorum, never drops below the replication factor, one action per range", () => {
    fc.assert(
      fc.property(anyCluster, (c) => {
        assert.deepEqual(broken(c, planCluster(c)), []);
      }),
      { numRuns: 500 },
    );
  });

  it("plans nothing for a range without a live quorum", () => {
    fc.assert(
      fc.property(anyCluster, (c) => {
        const live = liveIn(c);
        for (const a of planCluster(c)) {
          const ids = a.kind === "merge" ? [a.leftRangeId, a.rightRangeId] : [a.rangeId];
          for (const id of ids) {
            const r = c.ranges.find((x) => x.rangeId === id) as PlannedRange;
            assert.ok(liveQuorum(r.voters, live), `${a.kind} on range ${id} without quorum`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("reaches a fixed point, every plan on the way safe", () => {
    fc.assert(
      fc.property(anyCluster, (c) => {
        const result = runToFixedPoint(c, 400, (state, plan) => {
          assert.deepEqual(broken(state, plan), []);
        });
        assert.ok(result.converged, `no fixed point after ${result.passes} passes`);
      }),
      { numRuns: 150 },
    );
  });

  it("repairs every range to the replication factor on healthy nodes when it can", () => {
    const cluster = arbCluster({ dead: true, suspect: false, localities: true }).filter(
      (c) => healthyCount(c) >= c.settings.replicationFactor,
    );
    fc.assert(
      fc.property(cluster, (c) => {
        const result = runToFixedPoint(c, 400);
        assert.ok(result.converged);
        const healthy = healthyIn(c);
        for (const r of result.state.ranges) {
          if (!liveQuorum(r.voters, liveIn(c))) continue; // lost before planning began
          assert.equal(r.voters.length, c.settings.replicationFactor, `range ${r.rangeId}`);
          assert.ok(r.voters.every(healthy), `range ${r.rangeId} on ${r.voters.join(",")}`);
          assert.deepEqual(r.learners, []);
          assert.ok(r.leaderId === 0 || healthy(r.leaderId));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("balances replica counts within the bound when no locality stands in the way", () => {
    const cluster = arbCluster({ dead: false, suspect: false, localities: false }).map(tidy);
    fc.assert(
      fc.property(cluster, (c) => {
        const result = runToFixedPoint(c, 400);
        assert.ok(result.converged);
        const ids = c.nodes.filter((n) => healthyIn(c)(n.record.id)).map((n) => n.record.id);
        if (ids.length === 0) return;
        const counts = replicaCountsOf(result.state);
        const values = ids.map((id) => counts.get(id) ?? 0);
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        const gap = Math.max(...values) - Math.min(...values);
        assert.ok(gap <= c.settings.rebalanceThreshold * mean + 1, `counts ${values.join(",")}`);
      }),
      { numRuns: 150 },
    );
  });

  it("ends where no single swap would spread a range over more regions", () => {
    const cluster = arbCluster({ dead: false, suspect: false, localities: true });
    fc.assert(
      fc.property(cluster, (c) => {
        const result = runToFixedPoint(c, 400);
        assert.ok(result.converged);
        const healthy = healthyIn(c);
        const region = (id: NodeId) => viewOf(c, id)?.record.locality.region ?? "";
        const regions = (ids: readonly NodeId[]) => new Set(ids.map(region)).size;
        for (const r of result.state.ranges) {
          if (!r.voters.every(healthy) || r.learners.length > 0) continue;
          const now = regions(r.voters);
          for (const t of c.nodes.map((n) => n.record.id).filter(healthy)) {
            if (r.voters.includes(t)) continue;
            for (const x of r.voters) {
              const swapped = [...r.voters.filter((id) => id !== x), t];
              assert.ok(regions(swapped) <= now, `range ${r.rangeId}: ${x}→${t} spreads it`);
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

/**
 * The cluster with every range's replicas on live nodes only and ranges left
 * without voters dropped: no range stuck without a quorum, whose replicas
 * nothing may move.
 */
function tidy(c: ClusterPlanInput): ClusterPlanInput {
  const live = liveIn(c);
  const ranges = c.ranges.flatMap((r) => {
    const voters = r.voters.filter(live);
    if (voters.length === 0) return [];
    const leaderId = voters.includes(r.leaderId as NodeId) ? r.leaderId : (voters[0] as NodeId);
    return [{ ...r, voters, learners: r.learners.filter(live), leaderId }];
  });
  return { ...c, ranges };
}

function healthyCount(c: ClusterPlanInput): number {
  return c.nodes.filter((n) => n.liveness === "live" && n.record.state === "active").length;
}
