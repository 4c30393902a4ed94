/**
 * Runs one workload: starts every system its comparisons name (skipping
 * those not selected or not installed, with the reason), prepares each, runs
 * the measured rounds interleaved across systems (round 1 on every system,
 * then round 2, …), and stops every system it started whatever happens. A
 * system that fails to start or fails a round is recorded as failed and the
 * workload goes on with the others.
 */
import type { Options } from "./options.js";
import { formatValue } from "./report/format.js";
import type { Measurement, WorkloadReport } from "./report/model.js";
import { progress } from "./support/progress.js";
import { type System, targetNamed } from "./targets/index.js";
import { type RunContext, systemsOf, type Workload } from "./workloads/index.js";

export type Availability = ReadonlyMap<string, string | null>;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function record(
  report: WorkloadReport,
  system: string,
  caseName: string,
  values: Record<string, number>,
  detail?: Record<string, unknown>,
) {
  let m = report.measurements.find((x) => x.case === caseName && x.system === system) as
    | (Measurement & { runs: Record<string, number>[]; detail: { rounds: unknown[] } })
    | undefined;
  if (m === undefined) {
    m = { case: caseName, system, runs: [], detail: { rounds: [] } };
    report.measurements.push(m);
  }
  m.runs.push(values);
  m.detail.rounds.push(detail ?? null);
}

function summaryLine(workload: Workload, caseName: string, values: Record<string, number>): string {
  const parts = workload.chart
    .map((key) => workload.metrics.find((m) => m.key === key))
    .filter((m) => m !== undefined)
    .map((m) =>
      `${m.label} ${formatValue(m, values[m.key] ?? Number.NaN)} ${m.unit === m.label ? "" : m.unit}`.trim(),
    );
  return `${caseName}: ${parts.join(", ")}`;
}

async function startSystems(
  ctx: RunContext,
  workload: Workload,
  report: WorkloadReport,
  names: string[],
  availability: Availability,
) {
  const started: System[] = [];
  for (const name of names) {
    ctx.checkCancelled();
    const target = targetNamed(name);
    const reason = availability.get(name);
    if (target === undefined || reason === undefined) continue;
    if (reason !== null) {
      report.skipped.push({ system: name, reason });
      progress(`${workload.id}: skipping ${name}: ${reason}`);
      continue;
    }
    let system: System | undefined;
    try {
      progress(`${workload.id}: starting ${name}`);
      system = await target.start();
      if (workload.prepare !== undefined) {
        progress(`${workload.id}: preparing ${name}`);
        await workload.prepare(ctx, system);
      }
      started.push(system);
    } catch (error) {
      report.failed.push({ system: name, reason: message(error) });
      progress(`${workload.id}: ${name} failed to start: ${message(error).split("\n")[0]}`);
      await system?.close().catch(() => {});
    }
  }
  return started;
}

export async function runWorkload(
  ctx: RunContext,
  workload: Workload,
  availability: Availability,
  options: Options,
): Promise<WorkloadReport> {
  const comparisons = workload.comparisons(options);
  const report: WorkloadReport = {
    id: workload.id,
    title: workload.title,
    measures: workload.measures,
    metrics: workload.metrics,
    chart: workload.chart,
    comparisons,
    measurements: [],
    skipped: [],
    failed: [],
    notes: [],
    params: workload.params(options),
  };
  const names = systemsOf(comparisons);
  const started = await startSystems(ctx, workload, report, names, availability);
  const rounds = workload.rounds?.(options) ?? options.runs;
  const alive = new Set(started);
  try {
    for (let round = 0; round < rounds; round++) {
      for (const system of started) {
        if (!alive.has(system)) continue;
        ctx.checkCancelled();
        try {
          const result = await workload.round(ctx, system, round);
          for (const [caseName, { values, detail }] of Object.entries(result)) {
            record(report, system.target, caseName, values, detail);
            const errors = Number(detail?.errors ?? 0);
            if (errors > 0) {
              const samples =
                (detail?.errorSamples as string[] | undefined)?.slice(0, 3).join("; ") ?? "";
              report.notes.push(
                `${system.target}, ${caseName}, round ${round + 1}: ${errors} errors (${samples})`,
              );
            }
            progress(
              `${workload.id} ${round + 1}/${rounds} ${system.target} ${summaryLine(workload, caseName, values)}`,
            );
          }
        } catch (error) {
          if (error instanceof CancelledError) throw error;
          alive.delete(system);
          report.failed.push({
            system: system.target,
            reason: `round ${round + 1}: ${message(error)}`,
          });
          progress(
            `${workload.id}: ${system.target} failed in round ${round + 1}: ${message(error).split("\n")[0]}`,
          );
        }
      }
    }
  } finally {
    for (const system of started) {
      await system
        .close()
        .catch((error: unknown) => progress(`closing ${system.target}: ${message(error)}`));
    }
  }
  return report;
}

/** Thrown by `checkCancelled` once the run is being cancelled. */
export class CancelledError extends Error {}
