/**
 * The RESP load generator as the workloads see it: describe the load (nodes,
 * routing, clients, pipeline depth, read fraction, key choice, timing) and get
 * merged figures back. Clients are split over `threads` worker threads; for
 * sequential loading the key range is split too, so every key is written once.
 */

import type { KeyChoice } from "./key-choice.js";
import { type LoadFigures, mergeResults } from "./load-summary.js";
import type { Endpoint, LoadResult, RespLoadSpec } from "./resp-load-spec.js";
import { runInWorkers, split } from "./worker-pool.js";

export interface RespLoad {
  readonly nodes: readonly Endpoint[];
  readonly slotOwner: readonly number[] | null;
  readonly threads: number;
  readonly clients: number;
  readonly pipeline: number;
  readonly keyCount: number;
  readonly valueBytes: number;
  readonly readFraction: number;
  readonly keyChoice: KeyChoice;
  readonly zipfTheta?: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Total operations over all threads (0 = time-bounded only). */
  readonly opsMax?: number;
  readonly seed?: number;
  readonly timeoutMs: number;
}

const workerUrl = new URL("./resp-worker.ts", import.meta.url);

export async function runRespLoad(load: RespLoad): Promise<LoadFigures> {
  const threads = Math.max(1, Math.min(load.threads, load.clients));
  const clients = split(load.clients, threads);
  const opsShares = split(load.opsMax ?? 0, threads);
  const specs: RespLoadSpec[] = [];
  let clientOffset = 0;
  let keyOffset = 0;
  for (let t = 0; t < threads; t++) {
    specs.push({
      nodes: load.nodes,
      slotOwner: load.slotOwner,
      clients: clients[t]!,
      clientOffset,
      pipeline: load.pipeline,
      keyCount: load.keyCount,
      valueBytes: load.valueBytes,
      readFraction: load.readFraction,
      keyChoice: load.keyChoice,
      zipfTheta: load.zipfTheta ?? 0.99,
      sequentialStart: keyOffset,
      seed: (load.seed ?? 0x7e55e7a) + t * 7919,
      warmupMs: load.warmupMs,
      durationMs: load.durationMs,
      opsMax: opsShares[t]!,
      timeoutMs: load.timeoutMs,
    });
    clientOffset += clients[t]!;
    keyOffset += opsShares[t]!;
  }
  const results = await runInWorkers<RespLoadSpec, LoadResult>(
    workerUrl,
    "resp-load",
    specs,
    load.timeoutMs + 30_000,
  );
  return mergeResults(results);
}

/** Writes keys 0..keyCount-1 once each with pipelined SETs; resolves with the figures. */
export function loadKeys(
  base: Pick<RespLoad, "nodes" | "slotOwner" | "threads" | "valueBytes" | "timeoutMs">,
  keyCount: number,
): Promise<LoadFigures> {
  return runRespLoad({
    ...base,
    clients: Math.max(1, Math.min(16, keyCount)),
    pipeline: 64,
    keyCount,
    readFraction: 0,
    keyChoice: "sequential",
    warmupMs: 0,
    durationMs: 0,
    opsMax: keyCount,
  });
}
