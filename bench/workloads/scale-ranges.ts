/**
 * Scale group (a), throughput as ranges multiply: the same 3-node Tessera
 * cluster with keyspace 0 in 1 range and split into 64 ranges (at 63 evenly
 * spaced slots), driven like a Redis Cluster client drives a cluster: each
 * command goes to the node CLUSTER SLOTS names for its key's slot. SET (100 %
 * writes) then GET (100 % reads) over keys loaded beforehand, closed-loop
 * clients, uniform keys, 100-byte values; each at every client count of
 * `--scale-clients`. The default counts are a moderate load (50), where a
 * cluster's latency sets its pace, and one that saturates both clusters
 * (800), which measures their peak throughput: one range then batches ever
 * more writes per Raft round, where 64 ranges need the clients to fill theirs.
 *
 * With one range, one leader does every write and every strong read; with
 * 64, the cluster spreads the leaders over the three nodes, so the ratio
 * (64 ranges ÷ 1 range) says how much of the cluster sharding puts to work —
 * and what running 64 Raft groups costs on the same machine. That cost is
 * also measured apart from the load generator, which shares the machine:
 * the CPU time all Tessera processes used over the measured window, per
 * operation (utime + stime from /proc/PID/stat), and broken down by what the
 * servers did per operation over that window, summed over the nodes (from
 * their /metrics): store transactions, scheduler rounds, Raft Readies, Raft
 * messages, bus frames and socket writes.
 *
 * The same pair runs again with every node capped at `NODE_CPU_CORES` of CPU
 * (tessera-sharded.ts): uncapped, the cluster that spends the least CPU in
 * total wins, wherever it spends it; capped, as on three machines, the
 * busiest node sets the pace.
 */
import type { LoadFigures } from "../loadgen/load-summary.js";
import { runRespLoad } from "../loadgen/resp-load.js";
import type { Options } from "../options.js";
import { cpuSecondsOf } from "../support/proc-stats.js";
import { progress } from "../support/progress.js";
import { counterDeltas, scrapeCounters } from "../support/prom-counters.js";
import { sleep } from "../support/wait.js";
import type { System } from "../targets/index.js";
import { nodeFlags } from "../targets/tessera-node.js";
import { NODE_CPU_CORES } from "../targets/tessera-sharded.js";
import { preloadKeys } from "./preload.js";
import { LATENCY, type RoundResult, THROUGHPUT, type Workload } from "./workload.js";

const preloadFailures = new WeakMap<System, string[]>();

interface Case {
  readonly name: string;
  readonly readFraction: number;
  readonly clients: number;
}

/** SET then GET at each client count, e.g. "SET, 50 clients". */
function casesOf(options: Options): Case[] {
  return options.scaleClients.flatMap((clients) =>
    [
      { test: "SET", readFraction: 0 },
      { test: "GET", readFraction: 1 },
    ].map(({ test, readFraction }) => ({
      name: `${test}, ${clients} clients`,
      readFraction,
      clients,
    })),
  );
}

function drive(system: System, options: Options, c: Case): Promise<LoadFigures> {
  return runRespLoad({
    nodes: system.endpoints(),
    slotOwner: system.slotOwner,
    threads: options.threads,
    clients: c.clients,
    pipeline: 1,
    keyCount: options.keys,
    valueBytes: options.valueBytes,
    readFraction: c.readFraction,
    keyChoice: "uniform",
    warmupMs: options.scaleWarmupMs,
    durationMs: options.scaleDurationMs,
    timeoutMs: options.scaleWarmupMs + options.scaleDurationMs + 60_000,
  });
}

function monotonicMicros(): bigint {
  return process.hrtime.bigint() / 1000n;
}

/** The servers' counters that say what an operation cost them (see the header). */
const WORK_COUNTERS = {
  commitsPerOp: "tessera_store_commits_total",
  roundsPerOp: "tessera_scheduler_rounds_total",
  readiesPerOp: "tessera_raft_readies_total",
  raftMessagesPerOp: "tessera_raft_messages_sent_total",
  busFramesPerOp: "tessera_bus_frames_sent_total",
  busWritesPerOp: "tessera_bus_socket_writes_total",
} as const;

type WorkPerOp = Record<keyof typeof WORK_COUNTERS, number>;

/** Runs case `c`; the servers' CPU and work per operation are taken over the measured window. */
async function runCase(
  system: System,
  options: Options,
  c: Case,
): Promise<LoadFigures & { cpuMsPerOp: number; work: WorkPerOp | null }> {
  const driving = drive(system, options, c);
  await sleep(options.scaleWarmupMs);
  const cpu0 = await serverCpuSeconds(system);
  const counters0 = await serverCounters(system);
  const from = monotonicMicros();
  const f = await driving;
  if (nodeFlags().length > 0) {
    // The servers are being profiled: the measured window on the clock V8's
    // profiles use (CLOCK_MONOTONIC, µs), to cut their samples to it.
    progress(
      `  ${system.target} ${c.name}: measured window ${from}-${monotonicMicros()} µs monotonic`,
    );
  }
  const cpuMsPerOp = f.ops > 0 ? (((await serverCpuSeconds(system)) - cpu0) * 1000) / f.ops : 0;
  const counters1 = await serverCounters(system);
  let work: WorkPerOp | null = null;
  if (counters0 !== null && counters1 !== null && f.ops > 0) {
    const deltas = counterDeltas(counters0, counters1, Object.values(WORK_COUNTERS));
    work = Object.fromEntries(
      Object.entries(WORK_COUNTERS).map(([k, name]) => [k, deltas[name]! / f.ops]),
    ) as WorkPerOp;
  }
  return { ...f, cpuMsPerOp, work };
}

/** Every node's counters, or null if one could not be read (the breakdown is then left out). */
async function serverCounters(system: System): Promise<Map<string, number>[] | null> {
  try {
    return await Promise.all(
      system.nodes.map((node) => {
        const url = node.spec.metricsUrl;
        if (url === undefined) throw new Error(`${node.name} serves no metrics`);
        return scrapeCounters(url);
      }),
    );
  } catch (error) {
    progress(`  ${system.target}: no per-operation breakdown (${String(error).slice(0, 120)})`);
    return null;
  }
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
    "load generator, which shares the machine. Readies/op, fsyncs/op (store transactions) and bus frames/op " +
    "are what all nodes did per operation over that window, from their /metrics. The -capped clusters are the " +
    `same with each node held to ${NODE_CPU_CORES} core by a cgroup CPU quota, as three machines of equal ` +
    "speed would run them: there a node that does more than its share is the bottleneck, where uncapped the " +
    "three nodes and the load generator take turns on the machine's cores.",
  metrics: [
    THROUGHPUT,
    LATENCY("p50Ms", "p50"),
    LATENCY("p99Ms", "p99"),
    { key: "cpuMsPerOp", label: "server CPU/op", unit: "ms", better: "lower", digits: 3 },
    // What the servers did per operation, summed over the nodes (see the header).
    { key: "readiesPerOp", label: "Readies/op", unit: "", better: "lower", digits: 2 },
    { key: "commitsPerOp", label: "fsyncs/op", unit: "", better: "lower", digits: 2 },
    { key: "busFramesPerOp", label: "bus frames/op", unit: "", better: "lower", digits: 2 },
  ],
  chart: ["opsPerSec", "p99Ms"],
  comparisons: (options) =>
    casesOf(options).flatMap((c) => [
      {
        case: c.name,
        tessera: "tessera-3-r64",
        peers: ["tessera-3-r1", "tessera-3-r3"],
        likeForLike: "tessera-3-r1",
      },
      // Each node with its own CPU share, as on three machines (tessera-sharded.ts).
      {
        case: c.name,
        tessera: "tessera-3-r64-capped",
        peers: ["tessera-3-r1-capped"],
        likeForLike: "tessera-3-r1-capped",
      },
    ]),
  params: (options) => ({
    ranges: [1, 3, 64],
    cappedNodeCpuCores: NODE_CPU_CORES,
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
    for (const c of casesOf(ctx.options)) {
      ctx.checkCancelled();
      await system.sharding?.refreshSlotOwner();
      const f = await runCase(system, ctx.options, c);
      // The cluster splits and merges ranges by load on its own: how many it had after.
      const rows = await system.sharding?.ranges().catch(() => undefined);
      out[c.name] = {
        values: {
          opsPerSec: f.opsPerSec,
          avgMs: f.avgMs,
          p50Ms: f.p50Ms,
          p99Ms: f.p99Ms,
          maxMs: f.maxMs,
          cpuMsPerOp: f.cpuMsPerOp,
          ...(f.work === null
            ? {}
            : {
                readiesPerOp: f.work.readiesPerOp,
                commitsPerOp: f.work.commitsPerOp,
                busFramesPerOp: f.work.busFramesPerOp,
              }),
        },
        detail: {
          ops: f.ops,
          errors: f.errors,
          errorSamples: f.errorSamples,
          leaderNodes: leaderNodes(system),
          dataRangesAfter: rows?.filter((r) => r.slots !== null).length ?? null,
          // Summed over the nodes, per operation of the measured window.
          workPerOp: f.work,
          preloadFailures: preloadFailures.get(system) ?? [],
        },
      };
    }
    return out;
  },
};
