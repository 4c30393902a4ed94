/**
 * Scale group (a), throughput as ranges multiply: the same 3-node Tessera
 * cluster with keyspace 0 in 1 range and split into 64 ranges (at 63 evenly
 * spaced slots), driven like a Redis Cluster client drives a cluster: each
 * command goes to the node CLUSTER SLOTS names for its key's slot. SET (100 %
 * writes) then GET (100 % reads) over keys loaded beforehand, closed-loop
 * clients, uniform keys, 100-byte values.
 *
 * With one range, one leader does every write and every strong read; with
 * 64, the cluster spreads the leaders over the three nodes, so the ratio
 * (64 ranges ÷ 1 range) says how much of the cluster sharding puts to work —
 * and what running 64 Raft groups costs on the same machine. That cost is
 * also measured apart from the load generator, which shares the machine:
 * the CPU time all Tessera processes used over the measured window, per
 * operation (utime + stime from /proc/PID/stat).
 */
import type { LoadFigures } from "../loadgen/load-summary.js";
import { runRespLoad } from "../loadgen/resp-load.js";
import type { Options } from "../options.js";
import { cpuSecondsOf } from "../support/proc-stats.js";
import { progress } from "../support/progress.js";
import { sleep } from "../support/wait.js";
import type { System } from "../targets/index.js";
import { preloadKeys } from "./preload.js";
import { LATENCY, type RoundResult, THROUGHPUT, type Workload } from "./workload.js";

const preloadFailures = new WeakMap<System, string[]>();

const CASES = [
  { name: "SET", readFraction: 0 },
  { name: "GET", readFraction: 1 },
] as const;
type Case = (typeof CASES)[number];

function drive(system: System, options: Options, readFraction: number): Promise<LoadFigures> {
  return runRespLoad({
    nodes: system.endpoints(),
    slotOwner: system.slotOwner,
    threads: options.threads,
    clients: options.scaleClients,
    pipeline: 1,
    keyCount: options.keys,
    valueBytes: options.valueBytes,
    readFraction,
    keyChoice: "uniform",
    warmupMs: options.scaleWarmupMs,
    durationMs: options.scaleDurationMs,
    timeoutMs: options.scaleWarmupMs + options.scaleDurationMs + 60_000,
  });
}

/** Runs case `c`; the servers' CPU per operation is taken over the measured window. */
async function runCase(
  system: System,
  options: Options,
  c: Case,
): Promise<LoadFigures & { cpuMsPerOp: number }> {
  const driving = drive(system, options, c.readFraction);
  await sleep(options.scaleWarmupMs);
  const cpu0 = await serverCpuSeconds(system);
  const f = await driving;
  const cpuMsPerOp = f.ops > 0 ? (((await serverCpuSeconds(system)) - cpu0) * 1000) / f.ops : 0;
  return { ...f, cpuMsPerOp };
}

/** CPU seconds used so far by every running process of `system`. */
async function serverCpuSeconds(system: System): Promise<number> {
  let total = 0;
  for (const node of system.nodes) {
    const pid = node.pid();
    if (pid !== undefined) total += await cpuSecondsOf(pid).catch(() => 0);
  }
  return total;
}

/** How many distinct nodes lead the slots (from the slot map the clients use). */
function leaderNodes(system: System): number {
  return new Set(system.slotOwner ?? []).size;
}

export const scaleRanges: Workload = {
  id: "scale-ranges",
  title: "Scale: 1 range vs 64 ranges on 3 nodes",
  measures:
    "SET and GET throughput of one 3-node Tessera cluster with keyspace 0 in 1 range and split into 64 ranges " +
    "(TESSERA RANGE SPLIT at 63 evenly spaced slots); clients route by CLUSTER SLOTS. " +
    "Here the ratio is 64 ranges ÷ 1 range (> 1 means sharding pays). Server CPU/op is the CPU time of all " +
    "Tessera processes over the measured window per operation: the cost of the Raft groups apart from the " +
    "load generator, which shares the machine.",
  metrics: [
    THROUGHPUT,
    LATENCY("p50Ms", "p50"),
    LATENCY("p99Ms", "p99"),
    { key: "cpuMsPerOp", label: "server CPU/op", unit: "ms", better: "lower", digits: 3 },
  ],
  chart: ["opsPerSec", "p99Ms"],
  comparisons: () =>
    CASES.map((c) => ({
      case: c.name,
      tessera: "tessera-3-r64",
      peers: ["tessera-3-r1"],
      likeForLike: "tessera-3-r1",
    })),
  params: (options) => ({
    ranges: [1, 64],
    clients: options.scaleClients,
    keys: options.keys,
    valueBytes: options.valueBytes,
    keyChoice: "uniform",
    routing: "CLUSTER SLOTS (re-read before each round)",
    warmupMs: options.scaleWarmupMs,
    durationMs: options.scaleDurationMs,
  }),
  async prepare(ctx, system) {
    // Loading is not measured; SETs of the same keys may be repeated. A load that
    // saw errors (writes stalled past the proposal timeout while the fresh cluster
    // moved leaders) is run again, and the failed attempts are kept in the JSON.
    const failures: string[] = [];
    for (let attempt = 1; ; attempt++) {
      ctx.checkCancelled();
      try {
        await system.sharding?.refreshSlotOwner();
        await preloadKeys(system, ctx.options, ctx.options.keys);
        break;
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        failures.push(why);
        if (attempt >= 3) throw error;
        progress(`  ${system.target}: loading again (${why.slice(0, 160)})`);
      }
    }
    preloadFailures.set(system, failures);
  },
  async round(ctx, system): Promise<RoundResult> {
    const out: RoundResult = {};
    for (const c of CASES) {
      ctx.checkCancelled();
      await system.sharding?.refreshSlotOwner();
      const f = await runCase(system, ctx.options, c);
      out[c.name] = {
        values: {
          opsPerSec: f.opsPerSec,
          avgMs: f.avgMs,
          p50Ms: f.p50Ms,
          p99Ms: f.p99Ms,
          maxMs: f.maxMs,
          cpuMsPerOp: f.cpuMsPerOp,
        },
        detail: {
          ops: f.ops,
          errors: f.errors,
          errorSamples: f.errorSamples,
          leaderNodes: leaderNodes(system),
          preloadFailures: preloadFailures.get(system) ?? [],
        },
      };
    }
    return out;
  },
};
