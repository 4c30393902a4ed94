/**
 * The contract every workload follows. A workload declares what it measures,
 * its metrics and the comparisons it makes (Tessera's system against which
 * peers). The runner starts every system the workload needs, lets the
 * workload `prepare` each (load keys, warm up), then runs the measured
 * rounds interleaved — round 1 on every system, then round 2, … — so that
 * the machine's noise falls on all systems alike. A workload never tests for
 * a particular peer by name, only for what a system offers (protocol,
 * routing, failover hooks).
 */
import type { Options } from "../options.js";
import type { Comparison, MetricDef } from "../report/model.js";
import type { System } from "../targets/index.js";

export interface RunContext {
  readonly options: Options;
  /** Throws if the run is being cancelled (Ctrl-C / SIGTERM); called between steps. */
  checkCancelled(): void;
}

export interface Workload {
  readonly id: string;
  readonly title: string;
  readonly measures: string;
  readonly metrics: readonly MetricDef[];
  readonly chart: readonly [string, string?];
  comparisons(options: Options): Comparison[];
  params(options: Options): Record<string, unknown>;
  /** How many measured rounds (default: `options.runs`). */
  rounds?(options: Options): number;
  /** Readies a freshly started system (loads keys, warms up); not measured. */
  prepare?(ctx: RunContext, system: System): Promise<void>;
  /** One measured round on one system: metric values per case it takes part in. */
  round(ctx: RunContext, system: System, index: number): Promise<RoundResult>;
}

/** Case name → metric → value, plus optional detail kept in the JSON. */
export type RoundResult = Record<
  string,
  { values: Record<string, number>; detail?: Record<string, unknown> }
>;

/** Every system a workload's comparisons mention, Tessera's first, in order. */
export function systemsOf(comparisons: readonly Comparison[]): string[] {
  const out: string[] = [];
  for (const c of comparisons) {
    for (const name of [c.tessera, ...c.peers]) if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** The cases of `comparisons` that involve `system`. */
export function casesFor(comparisons: readonly Comparison[], system: string): string[] {
  const out: string[] = [];
  for (const c of comparisons) {
    if ((c.tessera === system || c.peers.includes(system)) && !out.includes(c.case))
      out.push(c.case);
  }
  return out;
}

export const THROUGHPUT: MetricDef = {
  key: "opsPerSec",
  label: "ops/s",
  unit: "ops/s",
  better: "higher",
  digits: 0,
};
export const LATENCY = (key: string, label: string): MetricDef => ({
  key,
  label,
  unit: "ms",
  better: "lower",
  digits: 2,
});
