/**
 * The etcd write load as the workloads see it: a number of concurrent
 * clients writing fixed-size values to uniformly chosen keys through etcd's
 * HTTP/JSON gateway, spread over every member, split over worker threads.
 */

import type { HttpPutSpec } from "./http-put-worker.js";
import { type LoadFigures, mergeResults } from "./load-summary.js";
import type { Endpoint, LoadResult } from "./resp-load-spec.js";
import { runInWorkers, split } from "./worker-pool.js";

export interface HttpPutLoad {
  readonly endpoints: readonly Endpoint[];
  readonly threads: number;
  readonly clients: number;
  readonly keyCount: number;
  readonly valueBytes: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly timeoutMs: number;
}

const workerUrl = new URL("./http-put-worker.ts", import.meta.url);

export async function runHttpPutLoad(load: HttpPutLoad): Promise<LoadFigures> {
  const threads = Math.max(1, Math.min(load.threads, load.clients));
  const clients = split(load.clients, threads);
  const specs: HttpPutSpec[] = [];
  let clientOffset = 0;
  for (let t = 0; t < threads; t++) {
    specs.push({
      endpoints: load.endpoints,
      clients: clients[t]!,
      clientOffset,
      keyCount: load.keyCount,
      valueBytes: load.valueBytes,
      seed: 0x3e7cd + t * 7919,
      warmupMs: load.warmupMs,
      durationMs: load.durationMs,
      timeoutMs: load.timeoutMs,
    });
    clientOffset += clients[t]!;
  }
  const results = await runInWorkers<HttpPutSpec, LoadResult>(
    workerUrl,
    "http-put",
    specs,
    load.timeoutMs + 30_000,
  );
  return mergeResults(results);
}
