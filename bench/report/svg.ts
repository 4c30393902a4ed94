/**
 * The chart of a run, as hand-written SVG: one panel per comparison, with
 * horizontal bars for each system — the workload's throughput-like metric on
 * the left, its latency-like metric on the right — each scaled to the largest
 * value in its panel and labelled with its median and, for peers, the ratio
 * (> 1 means Tessera is better). Tessera is always the top bar and always the
 * same colour. Systems without a figure are shown as "skipped".
 */
import { formatRatio, formatValue, heading } from "./format.js";
import {
  findMeasurement,
  type MetricDef,
  type RunReport,
  ratio,
  spreadOf,
  type WorkloadReport,
} from "./model.js";

const width = 1100;
const margin = 16;
const labelWidth = 130;
const columnGap = 40;
const barHeight = 14;
const rowGap = 6;
const titleHeight = 22;
const panelGap = 14;

const COLORS: Record<string, string> = {
  tessera: "#1f6feb",
  "tessera-3": "#0b3d91",
  "tessera-3-r64": "#1f6feb",
  "tessera-3-r1": "#6e9fd8",
  "tessera-3-r3": "#9ec1ec",
  "redis-durable": "#d1495b",
  "redis-memory": "#edae49",
  "redis-cluster": "#8f2d56",
  etcd: "#00798c",
};

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function text(x: number, y: number, content: string, attrs = ""): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escapeXml(content)}</text>`;
}

/** Why a system has no figure, shortened to fit a bar's place. */
function missingReason(report: WorkloadReport, system: string): string {
  const skipped = report.skipped.find((s) => s.system === system)?.reason;
  const failed = report.failed.find((s) => s.system === system)?.reason;
  const reason =
    skipped !== undefined
      ? `skipped: ${skipped}`
      : failed !== undefined
        ? `failed: ${failed}`
        : "not run";
  const line = reason.split("\n")[0]!;
  return line.length > 70 ? `${line.slice(0, 69)}…` : line;
}

interface Column {
  metric: MetricDef;
  x: number;
  width: number;
}

function panel(
  report: WorkloadReport,
  index: number,
  y: number,
  columns: Column[],
): { svg: string[]; height: number } {
  const comparison = report.comparisons[index]!;
  const systems = [comparison.tessera, ...comparison.peers];
  const out: string[] = [];
  out.push(
    text(
      margin,
      y + 15,
      `${comparison.case} — ${comparison.tessera}${comparison.peers.length > 0 ? ` vs ${comparison.peers.join(", ")}` : ""}`,
      'class="panel"',
    ),
  );
  const top = y + titleHeight;
  const tessera = findMeasurement(report, comparison.case, comparison.tessera);
  for (const column of columns) {
    const medians = systems.map(
      (s) => spreadOf(findMeasurement(report, comparison.case, s), column.metric.key)?.median,
    );
    const max = Math.max(
      ...medians.filter((v): v is number => v !== undefined && Number.isFinite(v)),
      0,
    );
    systems.forEach((system, row) => {
      const by = top + row * (barHeight + rowGap) + 4;
      const value = medians[row];
      if (column === columns[0]) {
        const label = system === comparison.likeForLike ? `${system} ★` : system;
        out.push(text(margin, by + barHeight - 3, label, 'class="label"'));
      }
      if (value === undefined || !Number.isFinite(value)) {
        out.push(text(column.x, by + barHeight - 3, missingReason(report, system), 'class="skip"'));
        return;
      }
      const barMax = column.width - 150;
      const w = max > 0 ? Math.max(1, (value / max) * barMax) : 1;
      const color = COLORS[system] ?? "#888";
      out.push(
        `<rect x="${column.x}" y="${by}" width="${w.toFixed(1)}" height="${barHeight}" fill="${color}" rx="2"/>`,
      );
      let caption = `${formatValue(column.metric, value)} ${column.metric.unit}`;
      if (system !== comparison.tessera) {
        const r = ratio(column.metric, spreadOf(tessera, column.metric.key)?.median, value);
        if (r !== undefined) caption += `  (Tessera ${formatRatio(r)})`;
      }
      out.push(text(column.x + w + 5, by + barHeight - 3, caption, 'class="value"'));
    });
  }
  return { svg: out, height: titleHeight + systems.length * (barHeight + rowGap) + panelGap };
}

function columnsOf(report: WorkloadReport): Column[] {
  const metrics = report.chart
    .map((key) => report.metrics.find((m) => m.key === key))
    .filter((m): m is MetricDef => m !== undefined);
  const usable = width - 2 * margin - labelWidth;
  const columnWidth = metrics.length > 1 ? (usable - columnGap) / 2 : usable;
  return metrics.map((metric, i) => ({
    metric,
    x: margin + labelWidth + i * (columnWidth + columnGap),
    width: columnWidth,
  }));
}

export function runSvg(run: RunReport): string {
  const body: string[] = [];
  let y = margin;
  body.push(text(margin, y + 18, "Tessera benchmarks", 'class="title"'));
  y += 28;
  const m = run.machine;
  const sub = `${run.date.slice(0, 16).replace("T", " ")} UTC · ${m.cpuModel} · ${m.cores} cores · Node.js ${m.node}${run.options.quick === true ? " · QUICK RUN (smoke test)" : ""}`;
  body.push(text(margin, y + 12, sub, 'class="sub"'));
  y += 18;
  body.push(
    text(
      margin,
      y + 12,
      "Bars: medians. Ratios oriented so that > 1 means Tessera is better. ★ = like-for-like peer.",
      'class="sub"',
    ),
  );
  y += 26;
  for (const report of run.workloads) {
    if (report.comparisons.length === 0) continue;
    body.push(`<line x1="${margin}" x2="${width - margin}" y1="${y}" y2="${y}" class="rule"/>`);
    body.push(text(margin, y + 20, report.title, 'class="workload"'));
    const columns = columnsOf(report);
    for (const column of columns) {
      const better = column.metric.better === "higher" ? "higher is better" : "lower is better";
      body.push(text(column.x, y + 40, `${heading(column.metric)} — ${better}`, 'class="axis"'));
    }
    y += 50;
    report.comparisons.forEach((_, index) => {
      const p = panel(report, index, y, columns);
      body.push(...p.svg);
      y += p.height;
    });
  }
  const height = y + margin;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">`,
    "<style>",
    ".title{font-size:20px;font-weight:700;fill:#111}",
    ".sub{font-size:11px;fill:#555}",
    ".workload{font-size:15px;font-weight:700;fill:#111}",
    ".panel{font-size:12px;font-weight:600;fill:#333}",
    ".axis{font-size:11px;fill:#555;font-weight:600}",
    ".label{font-size:11px;fill:#222}",
    ".value{font-size:10px;fill:#222}",
    ".skip{font-size:10px;fill:#999;font-style:italic}",
    ".rule{stroke:#ddd;stroke-width:1}",
    "</style>",
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}
