/**
 * Workload 1, SET and GET with redis-benchmark: the stock C client every Redis
 * user knows, 50 connections, random keys over a pre-loaded key space, 100-byte
 * values, without pipelining and with 16 commands per pipeline. SET on Tessera
 * (fsynced) is compared like-for-like with redis-server fsyncing every write
 * (`appendfsync always`); GET with redis-server in memory. Each measured round
 * runs `-t set,get` once per pipeline depth; a short unmeasured run first
 * warms connections and caches.
 */
import { runRedisBenchmark } from "../loadgen/redis-benchmark.js";
import type { Options } from "../options.js";
import type { Comparison } from "../report/model.js";
import { INSTALL_HINT, type System } from "../targets/index.js";
import { missingCommands } from "../targets/installed.js";
import { preloadKeys } from "./preload.js";
import { LATENCY, type RoundResult, THROUGHPUT, type Workload } from "./workload.js";

const pipelines = [1, 16] as const;
const caseName = (test: string, pipeline: number) =>
  pipeline === 1 ? test : `${test} -P ${pipeline}`;

function requestsFor(options: Options, pipeline: number): number {
  return pipeline === 1 ? options.setGetRequests : options.setGetRequestsPipelined;
}

async function bench(system: System, options: Options, pipeline: number, requests: number) {
  const endpoint = system.endpoints()[0]!;
  return runRedisBenchmark({
    host: endpoint.host,
    port: endpoint.port,
    tests: ["set", "get"],
    clients: options.setGetClients,
    requests,
    keyspace: options.keys,
    valueBytes: options.valueBytes,
    pipeline,
    timeoutMs: Math.max(60_000, requests * 5),
  });
}

export const setGet: Workload = {
  id: "set-get",
  title: "SET and GET (redis-benchmark)",
  measures:
    "Throughput and latency of single-key SET and GET from redis-benchmark, 50 clients, " +
    "random keys over a loaded key space, 100-byte values, without pipelining and with 16 commands per pipeline.",
  metrics: [
    THROUGHPUT,
    LATENCY("avgMs", "avg"),
    LATENCY("p50Ms", "p50"),
    LATENCY("p95Ms", "p95"),
    LATENCY("p99Ms", "p99"),
    LATENCY("maxMs", "max"),
  ],
  chart: ["opsPerSec", "p99Ms"],
  comparisons(): Comparison[] {
    return pipelines.flatMap((p) => [
      {
        case: caseName("SET", p),
        tessera: "tessera",
        peers: ["redis-durable", "redis-memory"],
        likeForLike: "redis-durable",
      },
      {
        case: caseName("GET", p),
        tessera: "tessera",
        peers: ["redis-memory", "redis-durable"],
        likeForLike: "redis-memory",
      },
    ]);
  },
  params: (options) => ({
    clients: options.setGetClients,
    keyspace: options.keys,
    valueBytes: options.valueBytes,
    requests: { "-P 1": options.setGetRequests, "-P 16": options.setGetRequestsPipelined },
    pipelines,
    tool: "redis-benchmark -t set,get --csv",
  }),
  async prepare(ctx, system) {
    if (system.protocol !== "resp") throw new Error(`${system.target} does not speak RESP`);
    const missing = missingCommands(["redis-benchmark"], INSTALL_HINT);
    if (missing !== null) throw new Error(missing);
    await preloadKeys(system, ctx.options, ctx.options.keys);
    await bench(
      system,
      ctx.options,
      1,
      Math.min(10_000, Math.ceil(ctx.options.setGetRequests / 4)),
    );
  },
  async round(ctx, system): Promise<RoundResult> {
    const out: RoundResult = {};
    for (const pipeline of pipelines) {
      ctx.checkCancelled();
      const rows = await bench(system, ctx.options, pipeline, requestsFor(ctx.options, pipeline));
      for (const row of rows) {
        const { test, ...values } = row;
        out[caseName(test, pipeline)] = { values };
      }
    }
    return out;
  },
};
