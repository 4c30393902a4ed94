/**
 * Number formatting shared by the Markdown, stdout and SVG views: thousands
 * separators for large figures, a fixed number of decimals for small ones,
 * and the "median (min–max)" form of a spread.
 */
import type { Spread } from "../support/stats.js";
import type { MetricDef } from "./model.js";

/** A value in a metric's display unit, without the unit. */
export function formatValue(metric: MetricDef, value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  const scaled = value * (metric.scale ?? 1);
  const digits = metric.digits ?? 2;
  if (Math.abs(scaled) >= 1000) return Math.round(scaled).toLocaleString("en-US");
  return scaled.toFixed(digits);
}

/** "median (min–max)"; just the median when there is one run or no spread. */
export function formatSpread(metric: MetricDef, spread: Spread | undefined): string {
  if (spread === undefined) return "—";
  const median = formatValue(metric, spread.median);
  if (spread.n <= 1 || spread.min === spread.max) return median;
  return `${median} (${formatValue(metric, spread.min)}–${formatValue(metric, spread.max)})`;
}

export function formatRatio(value: number | undefined): string {
  if (value === undefined) return "n/a";
  return `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}×`;
}

/** A metric's column heading with its unit. */
export function heading(metric: MetricDef): string {
  // A count per operation (unit "") needs no unit after its label.
  return metric.unit === metric.label || metric.unit === ""
    ? metric.label
    : `${metric.label} (${metric.unit})`;
}
