/**
 * Words for a check result: one line for "ok" and "unknown"; for "illegal",
 * the partition, the core of operations that cannot be linearized together
 * (when shrinking finished), and the end of the deepest linearization the
 * search reached with the operation it could not place next. Each operation
 * is printed with its client, its interval and the model's description of it.
 */
import type { CheckResult, Violation } from "./check.js";
import type { Model, Operation } from "./model.js";

/** How many operations of the deepest linearization a report shows. */
const PREFIX_TAIL_SHOWN = 8;

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function time(t: number): string {
  return t === Number.POSITIVE_INFINITY ? "unknown" : String(t);
}

export function formatOperation<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>): string {
  const what =
    model.describe?.(op.input, op.output) ?? `${JSON.stringify(op.input)} -> ${String(op.output)}`;
  const outcome = op.return === Number.POSITIVE_INFINITY ? "  (outcome unknown)" : "";
  return `client ${op.clientId}  [${op.call} .. ${time(op.return)}]  ${what}${outcome}`;
}

export function formatViolation<S, I, O>(model: Model<S, I, O>, v: Violation<I, O>): string {
  const lines = [
    `not linearizable: partition ${JSON.stringify(v.partition)} (model ${model.name}, ${v.partitionSize} operations)`,
  ];
  if (v.core !== undefined) {
    const others = v.partitionSize - v.core.length;
    const note =
      v.coreMinimal === true ? "" : " (shrinking stopped early: a smaller set may exist)";
    lines.push(
      `  these ${v.core.length} operations cannot be linearized together, whatever the other ${others} did${note}:`,
    );
    for (const op of v.core) lines.push(`    ${formatOperation(model, op)}`);
  }
  const shown = v.prefix.slice(-PREFIX_TAIL_SHOWN);
  const hidden = v.prefix.length - shown.length;
  lines.push(
    `  deepest linearization reached: ${v.prefix.length} operations${hidden > 0 ? `, the last ${shown.length}:` : ":"}`,
  );
  if (hidden > 0) lines.push(`    … ${hidden} earlier`);
  for (const op of shown) lines.push(`    ${formatOperation(model, op)}`);
  lines.push("  and then this operation could not take effect before it returned:");
  lines.push(`    ${formatOperation(model, v.stuck)}`);
  return lines.join("\n");
}

export function formatResult<S, I, O>(model: Model<S, I, O>, result: CheckResult<I, O>): string {
  switch (result.outcome) {
    case "ok":
      return `linearizable (model ${model.name}, ${plural(result.partitions, "partition")})`;
    case "unknown":
      return `unknown: the search of partition ${JSON.stringify(result.partition)} ran out of ${result.reason} (model ${model.name}, ${plural(result.partitions, "partition")})`;
    case "illegal":
      return formatViolation(model, result.violation);
  }
}
