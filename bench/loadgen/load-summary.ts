/**
 * Merges the results of a load run's worker threads into the figures the
 * report shows: operations per second over the measured window, mean and
 * tail latencies from the merged histogram, and error counts.
 */
import { Histogram } from "./histogram.js";
import type { LoadResult } from "./resp-load-spec.js";

export interface LoadFigures {
  readonly opsPerSec: number;
  readonly ops: number;
  readonly errors: number;
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly errorSamples: readonly string[];
}

export function mergeResults(results: readonly LoadResult[]): LoadFigures {
  const histogram = new Histogram();
  let ops = 0;
  let errors = 0;
  let measuredMs = 0;
  const errorSamples: string[] = [];
  for (const result of results) {
    histogram.merge(result.histogram);
    ops += result.ops;
    errors += result.errors;
    measuredMs = Math.max(measuredMs, result.measuredMs);
    errorSamples.push(...result.errorSamples);
  }
  return {
    opsPerSec: measuredMs > 0 ? (ops * 1000) / measuredMs : 0,
    ops,
    errors,
    avgMs: histogram.meanMs(),
    p50Ms: histogram.quantileMs(0.5),
    p99Ms: histogram.quantileMs(0.99),
    p999Ms: histogram.quantileMs(0.999),
    maxMs: histogram.total === 0 ? Number.NaN : histogram.maxUs / 1000,
    errorSamples: errorSamples.slice(0, 5),
  };
}
