/**
 * The JSON view of a run: the run model verbatim (every run's raw figures,
 * machine, versions, parameters, date), plus each comparison's medians and
 * ratios precomputed so other tools need not re-derive them.
 */
import { findMeasurement, type RunReport, ratio, spreadOf } from "./model.js";

function summaries(run: RunReport) {
  return run.workloads.flatMap((report) =>
    report.comparisons.map((comparison) => {
      const tessera = findMeasurement(report, comparison.case, comparison.tessera);
      return {
        workload: report.id,
        case: comparison.case,
        tessera: comparison.tessera,
        likeForLike: comparison.likeForLike,
        systems: Object.fromEntries(
          [comparison.tessera, ...comparison.peers].map((system) => {
            const m = findMeasurement(report, comparison.case, system);
            return [
              system,
              Object.fromEntries(
                report.metrics.map((metric) => {
                  const spread = spreadOf(m, metric.key);
                  const r =
                    system === comparison.tessera
                      ? undefined
                      : ratio(metric, spreadOf(tessera, metric.key)?.median, spread?.median);
                  return [
                    metric.key,
                    spread === undefined ? null : { ...spread, ratioTesseraBetter: r ?? null },
                  ];
                }),
              ),
            ];
          }),
        ),
      };
    }),
  );
}

export function runJson(run: RunReport): string {
  const replacer = (_key: string, value: unknown) =>
    typeof value === "number" && !Number.isFinite(value) ? null : value;
  return `${JSON.stringify({ ...run, summaries: summaries(run) }, replacer, 2)}\n`;
}
