/**
 * Locality-aware placement with real processes: six nodes in three regions,
 * two zones each (`--locality region=r1,zone=a` …), replication factor 3,
 * keyspace 0 split into 6 ranges. The nodes join region by region (r1, r1,
 * r2, r2, r3, r3), so the first replicas land on r1, r1, r2 and the planner
 * has to move them: every range — data and internal — must end with exactly
 * one voter in each region, a leader and no learner. Data written before the
 * moves must read back.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { type Cluster, startJoiner, waitFor, withClient } from "../support/cluster.js";
import { type NodeProcess, startNode, stopAll } from "../support/process.js";
import {
  dataRanges,
  evenSplitSlots,
  nodeWarnings,
  plannedActions,
  type RangeRow,
  rangeTable,
  splitKeyspace,
} from "./support-sharding.js";

after(stopAll);

const RANGES = 6;
const SPREAD_TIMEOUT_MS = 120_000;
const REPLICATED_TIMEOUT_MS = 90_000;
const LOCALITIES = [
  "region=r1,zone=a",
  "region=r1,zone=b",
  "region=r2,zone=a",
  "region=r2,zone=b",
  "region=r3,zone=a",
  "region=r3,zone=b",
];

describe("locality", { timeout: 240_000 }, () => {
  it("places one voter of every range in each of 3 regions", async () => {
    const first = await startNode({ args: ["--locality", LOCALITIES[0]!] });
    const cluster: Cluster = { nodes: [first], seed: `127.0.0.1:${first.busPort}`, options: {} };
    for (const locality of LOCALITIES.slice(1))
      cluster.nodes.push(await startJoiner(cluster, { args: ["--locality", locality] }));
    const regionOf = new Map<number, string>(
      cluster.nodes.map((n: NodeProcess, i) => [
        n.nodeId,
        /region=(\w+)/.exec(LOCALITIES[i]!)![1]!,
      ]),
    );
    // Every range replicated before the split (asked of all nodes: one that holds no
    // replica of a range may not know its leader).
    let seen: RangeRow[] = [];
    await waitFor(
      "every range to have 3 voters",
      async () => {
        seen = await rangeTable(cluster.nodes);
        return seen.every((r) => r.voters.length === 3 && r.leader !== 0) ? true : undefined;
      },
      REPLICATED_TIMEOUT_MS,
      500,
    ).catch((e: unknown) => {
      process.stdout.write(`${nodeWarnings(cluster.nodes)}\n`);
      const table = seen.map((r) => `${r.id}:L${r.leader}[${r.voters}]+[${r.learners}]`);
      throw new Error(`${String(e)}; ranges: ${table.join(" ")}`);
    });
    await splitKeyspace(first, evenSplitSlots(RANGES), cluster.nodes);
    await withClient(cluster.nodes[3]!, async (c) => {
      await Promise.all(Array.from({ length: 200 }, (_, i) => c.set(`loc:${i}`, `v${i}`)));
    });

    const regionsOf = (r: RangeRow) => r.voters.map((v) => regionOf.get(v) ?? `?${v}`);
    let last: RangeRow[] = [];
    try {
      await waitFor(
        "one voter per region in every range",
        async () => {
          last = await rangeTable(cluster.nodes);
          const ok = last.every(
            (r) =>
              r.voters.length === 3 &&
              new Set(regionsOf(r)).size === 3 &&
              r.learners.length === 0 &&
              r.leader !== 0,
          );
          return ok ? true : undefined;
        },
        SPREAD_TIMEOUT_MS,
        500,
      );
    } catch (e) {
      // What the nodes complained about, to tell why moves stalled.
      process.stdout.write(`${nodeWarnings(cluster.nodes)}\n`);
      process.stdout.write(`${plannedActions(cluster.nodes)}\n`);
      assert.fail(
        `${String(e)}; ranges: ${last.map((r) => `${r.id}:L${regionOf.get(r.leader) ?? r.leader}[${regionsOf(r)}]${r.learners.length ? `+[${r.learners}]` : ""}`).join(" ")}`,
      );
    }
    assert.equal(dataRanges(last).length, RANGES);
    await withClient(cluster.nodes[5]!, async (c) => {
      const got = await Promise.all(Array.from({ length: 200 }, (_, i) => c.get(`loc:${i}`)));
      for (const [i, v] of got.entries()) assert.equal(v, `v${i}`, `loc:${i}`);
    });
    await stopAll();
  });
});
