/**
 * Scale group (b), the cost of idle ranges: one Tessera node (no peers, so
 * every range is a one-voter Raft group) is split into 10 000 ranges with
 * `TESSERA RANGE SPLIT` (at evenly spaced slots, one command per slot), then
 * left alone: the figure is the CPU time the process uses while nothing is
 * asked of it, from utime + stime in /proc/PID/stat over a 20 s window, as a
 * percentage of one core. The same window is measured on the fresh node
 * before the splits (its few built-in ranges) as the baseline.
 *
 * Splitting stops when `idleSplitBudgetMs` is spent (the report then says how
 * many ranges were measured), because every split is a Raft command on the
 * meta range and the range being split, and a node that ticks every range it
 * holds gets slower at it as ranges multiply.
 */
import type { Options } from "../options.js";
import { cpuSecondsOf, treeStatusBytes } from "../support/proc-stats.js";
import { progress } from "../support/progress.js";
import { sleep } from "../support/wait.js";
import type { System } from "../targets/index.js";
import { evenSplitSlots, rangeList, splitSlots } from "../targets/tessera-admin.js";
import type { RoundResult, Workload } from "./workload.js";

interface Prepared {
  readonly baselineCpuPct: number;
  readonly baselineRanges: number;
  readonly ranges: number;
  readonly splitSeconds: number;
  readonly refusals: number;
  readonly outOfBudget: boolean;
}

const prepared = new WeakMap<System, Prepared>();
/** CPU used by `pid` over `ms`, as a percentage of one core. */
async function cpuPercent(pid: number, ms: number): Promise<number> {
  const c0 = await cpuSecondsOf(pid);
  const t0 = performance.now();
  await sleep(ms);
  const c1 = await cpuSecondsOf(pid);
  return (100 * (c1 - c0)) / ((performance.now() - t0) / 1000);
}

function pidOf(system: System): number {
  const pid = system.nodes[0]?.pid();
  if (pid === undefined) throw new Error(`${system.target} is not running`);
  return pid;
}

function caseName(options: Options): string {
  return `up to ${options.idleRanges} idle ranges`;
}

export const scaleIdle: Workload = {
  id: "scale-idle",
  title: "Scale: CPU of one node holding many idle ranges",
  measures:
    "CPU time (utime + stime from /proc/PID/stat) of one Tessera node over an idle window, as % of one core, " +
    "after splitting keyspace 0 into many ranges with TESSERA RANGE SPLIT; the fresh node's figure is the baseline. " +
    "No peer: lower is better.",
  metrics: [
    { key: "idleCpuPct", label: "idle CPU", unit: "% of a core", better: "lower", digits: 1 },
    {
      key: "baselineCpuPct",
      label: "baseline CPU",
      unit: "% of a core",
      better: "lower",
      digits: 1,
    },
    { key: "ranges", label: "ranges", unit: "ranges", better: "higher", digits: 0 },
    { key: "splitsPerSec", label: "splits/s", unit: "splits/s", better: "higher", digits: 1 },
    { key: "rssMiB", label: "RSS", unit: "MiB", better: "lower", digits: 0 },
  ],
  chart: ["idleCpuPct"],
  comparisons: (options) => [
    { case: caseName(options), tessera: "tessera", peers: [], likeForLike: "" },
  ],
  params: (options) => ({
    rangesWanted: options.idleRanges,
    splitBudgetMs: options.idleSplitBudgetMs,
    sampleMs: options.idleSampleMs,
    settleMs: 5_000,
  }),
  async prepare(ctx, system) {
    const node = system.nodes[0]!;
    const pid = pidOf(system);
    await sleep(5_000);
    const baselineRanges = (await rangeList(node.host, node.port)).length;
    progress(`  ${system.target}: baseline idle CPU over ${ctx.options.idleSampleMs} ms`);
    const baselineCpuPct = await cpuPercent(pid, ctx.options.idleSampleMs);
    const slots = evenSplitSlots(ctx.options.idleRanges);
    progress(`  ${system.target}: splitting keyspace 0 into ${ctx.options.idleRanges} ranges`);
    const outcome = await splitSlots(
      node.host,
      node.port,
      slots,
      ctx.options.idleSplitBudgetMs,
      (done, ms) => progress(`  ${system.target}: ${done} splits in ${(ms / 1000).toFixed(0)} s`),
    );
    ctx.checkCancelled();
    const ranges = (await rangeList(node.host, node.port)).length;
    progress(
      `  ${system.target}: ${outcome.done} splits in ${(outcome.ms / 1000).toFixed(1)} s` +
        `${outcome.outOfBudget ? " (split budget spent)" : ""}; ${ranges} ranges in all`,
    );
    prepared.set(system, {
      baselineCpuPct,
      baselineRanges,
      ranges,
      splitSeconds: outcome.ms / 1000,
      refusals: outcome.refusals,
      outOfBudget: outcome.outOfBudget,
    });
    // Let the last splits' elections and writes settle before measuring idleness.
    await sleep(5_000);
  },
  async round(ctx, system): Promise<RoundResult> {
    const p = prepared.get(system);
    if (p === undefined) throw new Error(`${system.target} was not prepared`);
    const pid = pidOf(system);
    const idleCpuPct = await cpuPercent(pid, ctx.options.idleSampleMs);
    return {
      [caseName(ctx.options)]: {
        values: {
          idleCpuPct,
          baselineCpuPct: p.baselineCpuPct,
          ranges: p.ranges,
          splitsPerSec: (p.ranges - p.baselineRanges) / p.splitSeconds,
          rssMiB: treeStatusBytes(pid) / (1024 * 1024),
        },
        detail: {
          baselineRanges: p.baselineRanges,
          splitSeconds: p.splitSeconds,
          splitRefusals: p.refusals,
          splitBudgetSpent: p.outOfBudget,
        },
      },
    };
  },
};
