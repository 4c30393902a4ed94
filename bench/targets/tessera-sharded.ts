/**
 * Tessera as a sharded 3-node cluster, for the scale group: node 1
 * bootstraps, nodes 2 and 3 `--join` it one after the other, then keyspace 0
 * is split into `ranges` ranges of equal slot width (`TESSERA RANGE SPLIT` at
 * ranges − 1 evenly spaced slots; none for one range). Ready once every range
 * has 3 voters, no learner and a leader known to one of its voters, and
 * the slot owners (CLUSTER SLOTS) have not changed for 10 s: the cluster
 * balances leaders over the nodes after a split, and the figures are of the
 * steady state.
 *
 * Clients route by slot like a Redis Cluster client: `slotOwner` comes from
 * CLUSTER SLOTS (the leader of each slot's range) and is re-read before each
 * measurement (`sharding.refreshSlotOwner`), since the cluster balances
 * leaders across nodes on its own. A command that reaches a node that no
 * longer leads its range is forwarded (the load generator's connections do
 * not announce themselves as cluster-aware), never lost.
 *
 * The `sharding` hooks also let a workload add a node (it joins through node
 * 1's bus port) and decommission one (the process is stopped once the
 * cluster has removed it).
 *
 * The `-capped` variants give each node a CPU quota of `NODE_CPU_CORES`
 * (a cgroup, cpu-quota.ts): three nodes then run as three machines of equal
 * speed would, each with its own share of CPU, instead of three processes
 * taking turns on the machine's cores, where the cluster that spends the
 * least CPU in total wins whether or not its work is spread over the nodes.
 */

import { cpuQuotaUnavailable } from "../support/cpu-quota.js";
import { freePorts } from "../support/ports.js";
import { makeTempDir, removeTempDir } from "../support/temp-dirs.js";
import { waitFor } from "../support/wait.js";
import type { NodeProcess } from "./node-process.js";
import { clusterSlotOwners } from "./resp-probes.js";
import type { ShardingHooks, System, Target } from "./target.js";
import {
  decommission,
  evenSplitSlots,
  nodeIdOf,
  type RangeRow,
  rangeList,
  splitSlots,
} from "./tessera-admin.js";
import { closeSignal, tesseraNode } from "./tessera-node.js";
import { tesseraRuntime, tesseraSourcesPresent } from "./tessera-runtime.js";

const initialNodes = 3;
const replicas = 3;
const healthyTimeoutMs = 180_000;
const stableMs = 10_000;

/** The range table merged over `nodes`: each range as a voter that knows its leader describes it. */
async function mergedRanges(nodes: readonly NodeProcess[]): Promise<RangeRow[]> {
  const lists = await Promise.all(
    nodes.map(async (n) => ({
      id: await nodeIdOf(n.host, n.port),
      rows: await rangeList(n.host, n.port),
    })),
  );
  const best = new Map<number, { row: RangeRow; rank: number }>();
  for (const { id, rows } of lists) {
    for (const row of rows) {
      const rank = row.voters.includes(id) ? (row.leader !== 0 ? 2 : 1) : 0;
      const seen = best.get(row.id);
      if (seen === undefined || rank > seen.rank) best.set(row.id, { row, rank });
    }
  }
  return [...best.values()].map((b) => b.row);
}

function healthy(rows: readonly RangeRow[]): boolean {
  return (
    rows.length > 0 &&
    rows.every((r) => r.voters.length === replicas && r.learners.length === 0 && r.leader !== 0)
  );
}

/** A load no range of the scale group reaches: it never splits by load. */
const NO_LOAD_SPLIT_OPS_PER_SEC = 1_000_000_000;

/** The CPU quota of each node of a `-capped` cluster: three nodes and the load generator fit in two cores. */
export const NODE_CPU_CORES = 0.5;

export function tesseraSharded(ranges: number, capped = false): Target {
  const name = `tessera-3-r${ranges}${capped ? "-capped" : ""}`;
  const cap = capped
    ? `; each node capped at ${NODE_CPU_CORES} core (cgroup CPU quota), as on three machines of equal speed`
    : "";
  return {
    name,
    description:
      (ranges === 1
        ? "Tessera, 3-node cluster, keyspace 0 in 1 range (3 voters); clients route by CLUSTER SLOTS to its leader"
        : `Tessera, 3-node cluster, keyspace 0 split into ${ranges} ranges at evenly spaced slots (3 voters each, leaders balanced by the cluster); clients route by CLUSTER SLOTS`) +
      cap,
    protocol: "resp",
    nodeCount: initialNodes,
    durable: true,
    async check() {
      if (!tesseraSourcesPresent()) return "`tessera start` is not in this checkout yet";
      return capped ? cpuQuotaUnavailable() : null;
    },
    async start(): Promise<System> {
      const runtime = await tesseraRuntime();
      const dirs: string[] = [];
      const nodes: NodeProcess[] = [];
      const members: NodeProcess[] = [];
      /** Each node's bus address: a joining node is pointed at a live member's. */
      const busOf = new Map<NodeProcess, string>();
      const close = async () => {
        await Promise.all(nodes.map((node) => node.kill(closeSignal())));
        for (const dir of dirs) removeTempDir(dir);
      };
      const launch = async (): Promise<NodeProcess> => {
        const [resp, http, bus] = (await freePorts(3)) as [number, number, number];
        const dir = makeTempDir(`${name}-${nodes.length}`);
        dirs.push(dir);
        // The first node may have been decommissioned (and stopped) since.
        const seed = members[0] === undefined ? null : busOf.get(members[0])!;
        const node = tesseraNode(
          `${name}-${nodes.length}`,
          runtime,
          { resp, http, bus },
          dir,
          seed,
          true,
          // The number of ranges is what these clusters compare: no split by load
          // (under the bench's load the cluster split one range into several on
          // its own; the ranges made by TESSERA RANGE SPLIT are never merged).
          ["--split-ops-per-sec-max", String(NO_LOAD_SPLIT_OPS_PER_SEC)],
          capped ? NODE_CPU_CORES : undefined,
        );
        busOf.set(node, `127.0.0.1:${bus}`);
        nodes.push(node);
        await node.start();
        members.push(node);
        return node;
      };
      const waitHealthy = (timeoutMs: number) =>
        waitFor(
          `every range of ${name} with ${replicas} voters, no learner and a leader`,
          async () => (healthy(await mergedRanges(members)) ? true : undefined),
          timeoutMs,
          250,
        );
      let owners: readonly number[] = [];
      const refreshSlotOwner = async () => {
        const perMember = await clusterSlotOwners(
          members.map((n) => ({ host: n.host, port: n.port })),
        );
        owners = perMember;
      };
      try {
        for (let i = 0; i < initialNodes; i++) await launch();
        await waitHealthy(healthyTimeoutMs);
        if (ranges > 1) {
          const n0 = members[0]!;
          const outcome = await splitSlots(
            n0.host,
            n0.port,
            evenSplitSlots(ranges),
            healthyTimeoutMs,
          );
          if (outcome.outOfBudget) throw new Error(`could not split ${name} into ${ranges} ranges`);
        }
        await waitHealthy(healthyTimeoutMs);
        // Steady state: the cluster balances leaders over the nodes after the splits;
        // measure once the slot owners have not changed for `stableMs`.
        let last = "";
        let since = performance.now();
        await waitFor(
          `${name}: leaders to stop moving (CLUSTER SLOTS unchanged for ${stableMs} ms)`,
          async () => {
            await refreshSlotOwner();
            const now = owners.join(",");
            if (now !== last) {
              last = now;
              since = performance.now();
            }
            return performance.now() - since >= stableMs ? true : undefined;
          },
          healthyTimeoutMs,
          500,
        );
      } catch (error) {
        await close();
        throw error;
      }
      const sharding: ShardingHooks = {
        refreshSlotOwner,
        ranges: () => mergedRanges(members),
        waitHealthy,
        nodeId: (index) => nodeIdOf(members[0]!.host, nodes[index]!.port),
        async addNode() {
          const node = await launch();
          return nodes.indexOf(node);
        },
        async decommission(index, timeoutMs) {
          const node = nodes[index]!;
          const id = await nodeIdOf(node.host, node.port);
          const via = members.find((m) => m !== node)!;
          const { refusals } = await decommission(via.host, via.port, id, timeoutMs);
          members.splice(members.indexOf(node), 1);
          await node.kill("SIGKILL");
          return refusals;
        },
      };
      return {
        target: name,
        protocol: "resp",
        nodes,
        get slotOwner() {
          // Indexes into endpoints(): the members, in start order.
          return owners;
        },
        endpoints: () => members.map((node) => ({ host: node.host, port: node.port })),
        sharding,
        close,
      };
    },
  };
}

export const tesseraOneRange = tesseraSharded(1);
/** One range per node: its leaders spread as 64 ranges' do, without multiplying the groups. */
export const tesseraRangePerNode = tesseraSharded(3);
export const tesseraManyRanges = tesseraSharded(64);
export const tesseraOneRangeCapped = tesseraSharded(1, true);
export const tesseraManyRangesCapped = tesseraSharded(64, true);
