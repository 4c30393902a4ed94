/**
 * The Markdown view of a run: a header saying how to read the ratios, the
 * machine, then per workload what it measures and one table per comparison
 * (Tessera's row first, then each peer with the ratio Tessera/peer for each
 * metric, oriented so that > 1 means Tessera is better), followed by what was
 * skipped or failed and why. The same tables are printed to stdout.
 */
import { formatRatio, formatSpread, heading } from "./format.js";
import {
  type Comparison,
  findMeasurement,
  RATIO_EXPLANATION,
  type RunReport,
  ratio,
  spreadOf,
  type WorkloadReport,
} from "./model.js";

function comparisonTable(report: WorkloadReport, comparison: Comparison): string[] {
  const metrics = report.metrics;
  const headline = metrics[0]!;
  // A comparison without peers (Tessera against a fixed figure of its own) has no ratio.
  const ratios = comparison.peers.length > 0;
  const header = [
    "system",
    ...metrics.map(heading),
    ...(ratios ? [`ratio ${headline.label}`] : []),
  ];
  const ratioMetric =
    ratios && report.chart[1] !== undefined
      ? metrics.find((m) => m.key === report.chart[1])
      : undefined;
  if (ratioMetric !== undefined && ratioMetric !== headline)
    header.push(`ratio ${ratioMetric.label}`);
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  const tessera = findMeasurement(report, comparison.case, comparison.tessera);
  for (const system of [comparison.tessera, ...comparison.peers]) {
    const m = findMeasurement(report, comparison.case, system);
    const name = system === comparison.likeForLike ? `${system} ★` : system;
    const cells = [system === comparison.tessera ? `**${system}**` : name];
    for (const metric of metrics) cells.push(formatSpread(metric, spreadOf(m, metric.key)));
    const ratioCell = (metric: typeof headline) =>
      system === comparison.tessera
        ? "—"
        : formatRatio(
            ratio(metric, spreadOf(tessera, metric.key)?.median, spreadOf(m, metric.key)?.median),
          );
    if (ratios) cells.push(ratioCell(headline));
    if (ratioMetric !== undefined && ratioMetric !== headline) cells.push(ratioCell(ratioMetric));
    if (m === undefined) {
      const why =
        report.skipped.find((s) => s.system === system)?.reason ??
        report.failed.find((s) => s.system === system)?.reason;
      cells[0] += why === undefined ? " (not run)" : " (skipped)";
    }
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines;
}

/** The Markdown section of one workload. */
export function workloadMarkdown(report: WorkloadReport): string {
  const lines = [`## ${report.title}`, "", report.measures, ""];
  for (const comparison of report.comparisons) {
    const against = comparison.peers.length > 0 ? ` vs ${comparison.peers.join(", ")}` : "";
    lines.push(`**${comparison.case}** — ${comparison.tessera}${against}`, "");
    lines.push(...comparisonTable(report, comparison), "");
  }
  for (const s of report.skipped) lines.push(`- skipped **${s.system}**: ${s.reason}`);
  for (const f of report.failed) lines.push(`- failed **${f.system}**: ${f.reason.split("\n")[0]}`);
  for (const note of report.notes) lines.push(`- ${note}`);
  if (report.skipped.length + report.failed.length + report.notes.length > 0) lines.push("");
  return lines.join("\n");
}

function machineLines(run: RunReport): string[] {
  const m = run.machine;
  return [
    `- date: ${run.date}, duration ${Math.round(run.durationSeconds)} s, command \`${run.command}\``,
    `- machine: ${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.kernel}, load ${m.loadAverage.map((l) => l.toFixed(2)).join(" ")} at start, ${run.loadAverageEnd.map((l) => l.toFixed(2)).join(" ")} at end`,
    `- data directories on ${m.dataDirFilesystem} (${m.dataDirRoot}); Node.js ${m.node}`,
    `- versions: ${Object.entries(m.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    ...run.targets.map((t) => `- ${t.name}: ${t.description} — ${t.status}`),
    ...run.notes.map((note) => `- ${note}`),
  ];
}

export function runMarkdown(run: RunReport): string {
  const quick = run.options.quick === true;
  const lines = [
    "# Tessera benchmarks",
    "",
    ...(quick
      ? [
          "> **Quick run** (`--quick`): one run, small sizes — a smoke test, not figures to publish.",
          "",
        ]
      : []),
    RATIO_EXPLANATION,
    "",
    ...machineLines(run),
    "",
    ...run.workloads.map(workloadMarkdown),
  ];
  return `${lines.join("\n").trimEnd()}\n`;
}
