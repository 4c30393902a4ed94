/**
 * Fills a RESP system with the workload's keys before anything is measured:
 * keys 0..n-1, one SET each, pipelined, routed by slot on clusters.
 */
import { loadKeys } from "../loadgen/resp-load.js";
import type { Options } from "../options.js";
import { progress } from "../support/progress.js";
import type { System } from "../targets/index.js";

/** Loads `keyCount` keys; resolves with the load rate in keys/s. */
export async function preloadKeys(
  system: System,
  options: Options,
  keyCount: number,
): Promise<number> {
  const started = performance.now();
  const figures = await loadKeys(
    {
      nodes: system.endpoints(),
      slotOwner: system.slotOwner,
      threads: options.threads,
      valueBytes: options.valueBytes,
      timeoutMs: Math.max(120_000, keyCount * 2),
    },
    keyCount,
  );
  if (figures.errors > 0 || figures.ops !== keyCount) {
    throw new Error(
      `loading ${keyCount} keys into ${system.target}: ${figures.ops} written, ${figures.errors} errors (${figures.errorSamples.join("; ")})`,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const rate = keyCount / seconds;
  progress(
    `  ${system.target}: loaded ${keyCount} keys in ${seconds.toFixed(1)} s (${Math.round(rate)} keys/s)`,
  );
  return rate;
}
