/**
 * The results of a run as data: what each workload measured on each system
 * (every run's raw figures), which systems it compares with which, what was
 * skipped and why. The JSON file is this model verbatim; Markdown and SVG are
 * views of it. Ratios are always oriented so that > 1 means Tessera is better:
 * Tessera ÷ peer for higher-is-better metrics (throughput), peer ÷ Tessera for
 * lower-is-better ones (latency, time, bytes).
 */
import type { MachineInfo } from "../support/machine.js";
import { type Spread, summarise } from "../support/stats.js";

export type Better = "higher" | "lower";

export interface MetricDef {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly better: Better;
  /** Scale applied for display (e.g. 1/1e6 to show bytes as MB). */
  readonly scale?: number;
  readonly digits?: number;
}

/** One system's figures for one case: one record of metric → value per run. */
export interface Measurement {
  readonly case: string;
  readonly system: string;
  readonly runs: readonly Record<string, number>[];
  /** Anything else worth keeping (error counts, samples, parameters). */
  readonly detail?: Record<string, unknown>;
}

/** A table: Tessera's figure for a case next to its peers'. */
export interface Comparison {
  readonly case: string;
  readonly tessera: string;
  readonly peers: readonly string[];
  /** The peer that offers the same guarantee (marked ★ in tables). */
  readonly likeForLike: string;
}

export interface Outcome {
  readonly system: string;
  readonly reason: string;
}

export interface WorkloadReport {
  readonly id: string;
  readonly title: string;
  readonly measures: string;
  readonly metrics: readonly MetricDef[];
  /** The two metrics the chart shows (throughput-like, latency-like). */
  readonly chart: readonly [string, string?];
  readonly comparisons: readonly Comparison[];
  readonly measurements: Measurement[];
  readonly skipped: Outcome[];
  readonly failed: Outcome[];
  readonly notes: string[];
  readonly params: Record<string, unknown>;
}

export interface RunReport {
  readonly date: string;
  readonly durationSeconds: number;
  /** 1, 5 and 15 minute load averages when the run ended (the machine's are from its start). */
  readonly loadAverageEnd: readonly number[];
  readonly command: string;
  readonly options: Record<string, unknown>;
  readonly machine: MachineInfo;
  readonly targets: readonly { name: string; description: string; status: string }[];
  /** Run-wide remarks (how Tessera was run, …). */
  readonly notes: readonly string[];
  readonly workloads: readonly WorkloadReport[];
}

export function findMeasurement(
  report: WorkloadReport,
  caseName: string,
  system: string,
): Measurement | undefined {
  return report.measurements.find((m) => m.case === caseName && m.system === system);
}

export function spreadOf(measurement: Measurement | undefined, metric: string): Spread | undefined {
  if (measurement === undefined) return undefined;
  const values = measurement.runs
    .map((run) => run[metric])
    .filter((v): v is number => v !== undefined);
  if (values.length === 0) return undefined;
  const spread = summarise(values);
  return spread.n === 0 ? undefined : spread;
}

/** Tessera's figure relative to the peer's, > 1 when Tessera is better; undefined if either is missing. */
export function ratio(metric: MetricDef, tessera: number | undefined, peer: number | undefined) {
  if (tessera === undefined || peer === undefined) return undefined;
  if (!Number.isFinite(tessera) || !Number.isFinite(peer) || tessera <= 0 || peer <= 0)
    return undefined;
  return metric.better === "higher" ? tessera / peer : peer / tessera;
}

export const RATIO_EXPLANATION =
  "Ratios compare Tessera with each peer and are oriented so that **> 1 means Tessera is better**: " +
  "Tessera ÷ peer for throughput, peer ÷ Tessera for latency, time and bytes. " +
  "★ marks the peer that gives the same guarantee (the like-for-like comparison). " +
  "Figures are medians of the runs, with min–max in brackets.";
