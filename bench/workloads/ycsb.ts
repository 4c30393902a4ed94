/**
 * Workload 2, YCSB core workloads A (50 % reads / 50 % updates), B (95/5) and
 * C (read only) with the Yahoo! Cloud Serving Benchmark's scrambled Zipfian
 * key choice (θ = 0.99: a few keys are hot, most are cold), driven by the
 * suite's own RESP load generator (worker threads, closed-loop clients, raw
 * sockets, log-linear latency histogram). Updates are SETs of a 100-byte
 * value, reads GETs, over a pre-loaded key space. A and B write, so Tessera is
 * compared with fsyncing redis; C only reads, so with in-memory redis. Redis
 * Cluster (clients route by slot) is the sharded peer; a 3-node Tessera
 * cluster is compared with it when available.
 */
import { runRespLoad } from "../loadgen/resp-load.js";
import type { Options } from "../options.js";
import type { Comparison } from "../report/model.js";
import type { System } from "../targets/index.js";
import { preloadKeys } from "./preload.js";
import { casesFor, LATENCY, type RoundResult, THROUGHPUT, type Workload } from "./workload.js";

const MIXES = [
  { case: "A (50/50)", readFraction: 0.5, writes: true },
  { case: "B (95/5)", readFraction: 0.95, writes: true },
  { case: "C (100/0)", readFraction: 1, writes: false },
] as const;

function comparisons(): Comparison[] {
  const single = MIXES.map((mix) => {
    const likeForLike = mix.writes ? "redis-durable" : "redis-memory";
    return {
      case: mix.case,
      tessera: "tessera",
      peers: [likeForLike, "redis-cluster"],
      likeForLike,
    };
  });
  const clustered = MIXES.map((mix) => ({
    case: mix.case,
    tessera: "tessera-3",
    peers: ["redis-cluster"],
    likeForLike: "redis-cluster",
  }));
  return [...single, ...clustered];
}

async function runMix(system: System, options: Options, readFraction: number) {
  return runRespLoad({
    nodes: system.endpoints(),
    slotOwner: system.slotOwner,
    threads: options.threads,
    clients: options.ycsbClients,
    pipeline: options.ycsbPipeline,
    keyCount: options.keys,
    valueBytes: options.valueBytes,
    readFraction,
    keyChoice: "zipfian",
    zipfTheta: 0.99,
    warmupMs: options.ycsbWarmupMs,
    durationMs: options.ycsbDurationMs,
    timeoutMs: options.ycsbWarmupMs + options.ycsbDurationMs + 60_000,
  });
}

export const ycsb: Workload = {
  id: "ycsb",
  title: "YCSB A / B / C (zipfian)",
  measures:
    "Throughput and latency of YCSB core workloads A (50% read, 50% update), B (95/5) and C (100% read), " +
    "scrambled Zipfian keys (θ = 0.99), closed-loop clients of the suite's own RESP load generator.",
  metrics: [
    THROUGHPUT,
    LATENCY("p50Ms", "p50"),
    LATENCY("p99Ms", "p99"),
    LATENCY("p999Ms", "p99.9"),
  ],
  chart: ["opsPerSec", "p99Ms"],
  comparisons,
  params: (options) => ({
    clients: options.ycsbClients,
    pipeline: options.ycsbPipeline,
    keys: options.keys,
    valueBytes: options.valueBytes,
    zipfTheta: 0.99,
    keyChoice: "scrambled zipfian (YCSB)",
    warmupMs: options.ycsbWarmupMs,
    durationMs: options.ycsbDurationMs,
    threads: options.threads,
    mixes: MIXES,
  }),
  async prepare(ctx, system) {
    if (system.protocol !== "resp") throw new Error(`${system.target} does not speak RESP`);
    await preloadKeys(system, ctx.options, ctx.options.keys);
  },
  async round(ctx, system): Promise<RoundResult> {
    const out: RoundResult = {};
    const mine = casesFor(comparisons(), system.target);
    for (const mix of MIXES) {
      if (!mine.includes(mix.case)) continue;
      ctx.checkCancelled();
      const f = await runMix(system, ctx.options, mix.readFraction);
      out[mix.case] = {
        values: {
          opsPerSec: f.opsPerSec,
          avgMs: f.avgMs,
          p50Ms: f.p50Ms,
          p99Ms: f.p99Ms,
          p999Ms: f.p999Ms,
          maxMs: f.maxMs,
        },
        detail: { ops: f.ops, errors: f.errors, errorSamples: f.errorSamples },
      };
    }
    return out;
  },
};
