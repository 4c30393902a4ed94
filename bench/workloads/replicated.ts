/**
 * Workload 3, durable replicated writes on three nodes: closed-loop clients
 * (50, then 500) each with one write in flight, 100-byte values to uniformly
 * chosen keys, on a 3-node Tessera cluster and on a 3-member etcd cluster.
 * Both acknowledge a write only once a majority has fsynced it. Tessera is
 * driven over RESP (SET; clients round-robin over the nodes, followers forward
 * to the leader, so 2 of 3 clients pay one extra hop); etcd through its HTTP/JSON gateway
 * (`POST /v3/kv/put`) with one keep-alive connection per client, spread over
 * the members — the same concurrency, value size and key choice.
 */
import { runHttpPutLoad } from "../loadgen/http-put-load.js";
import type { LoadFigures } from "../loadgen/load-summary.js";
import { runRespLoad } from "../loadgen/resp-load.js";
import type { Options } from "../options.js";
import type { System } from "../targets/index.js";
import { LATENCY, type RoundResult, THROUGHPUT, type Workload } from "./workload.js";

const caseName = (clients: number) => `${clients} clients`;

function drive(system: System, options: Options, clients: number): Promise<LoadFigures> {
  const timing = {
    warmupMs: options.replicatedWarmupMs,
    durationMs: options.replicatedDurationMs,
    timeoutMs: options.replicatedWarmupMs + options.replicatedDurationMs + 60_000,
  };
  if (system.protocol === "etcd-http") {
    return runHttpPutLoad({
      endpoints: system.endpoints(),
      threads: options.threads,
      clients,
      keyCount: options.keys,
      valueBytes: options.valueBytes,
      ...timing,
    });
  }
  return runRespLoad({
    nodes: system.endpoints(),
    slotOwner: system.slotOwner,
    threads: options.threads,
    clients,
    pipeline: 1,
    keyCount: options.keys,
    valueBytes: options.valueBytes,
    readFraction: 0,
    keyChoice: "uniform",
    ...timing,
  });
}

export const replicated: Workload = {
  id: "replicated",
  title: "Durable replicated writes, 3 nodes",
  measures:
    "Write throughput and latency of a 3-node cluster where every acknowledged write is fsynced on a majority: " +
    "Tessera (3 nodes) against etcd (3 members), 50 and 500 concurrent clients, 100-byte values, uniform keys.",
  metrics: [
    THROUGHPUT,
    LATENCY("p50Ms", "p50"),
    LATENCY("p99Ms", "p99"),
    LATENCY("p999Ms", "p99.9"),
  ],
  chart: ["opsPerSec", "p99Ms"],
  comparisons: (options) =>
    options.replicatedClients.map((clients) => ({
      case: caseName(clients),
      tessera: "tessera-3",
      peers: ["etcd"],
      likeForLike: "etcd",
    })),
  params: (options) => ({
    clients: options.replicatedClients,
    valueBytes: options.valueBytes,
    keys: options.keys,
    keyChoice: "uniform",
    warmupMs: options.replicatedWarmupMs,
    durationMs: options.replicatedDurationMs,
    etcdInterface: "HTTP/JSON gateway POST /v3/kv/put, keep-alive, one connection per client",
    tesseraInterface:
      "RESP SET, pipeline 1, clients round-robin over the 3 nodes (followers forward to the leader: one extra hop for 2/3 of clients)",
  }),
  async round(ctx, system): Promise<RoundResult> {
    const out: RoundResult = {};
    for (const clients of ctx.options.replicatedClients) {
      ctx.checkCancelled();
      const f = await drive(system, ctx.options, clients);
      out[caseName(clients)] = {
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
