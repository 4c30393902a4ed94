/**
 * Checks a whole history: splits it into partitions that are linearizable
 * independently (P-compositionality, Horn & Kroening 2015; for a key-value
 * store, one partition per key), searches each (search.ts), and on a violation
 * shrinks it to a small core that the report can show.
 *
 * Budget: the caller hands in a clock and a budget in that clock's unit (ms);
 * when it runs out the answer is "unknown", never a hang. The clock is injected
 * so this file stays pure; index.ts supplies the process clock. Memory (memo
 * entries) and, optionally, search steps are bounded the same way.
 *
 * Shrinking: an operation is relaxed by making its outcome unknown (it may take
 * effect at any time after its call, or never, with any output). Relaxing only
 * adds freedom, so if the partition is still not linearizable with every
 * operation outside the core relaxed, the original is not either, and neither
 * is the core on its own. A relaxed read-only operation constrains nothing and
 * is dropped. The core is found greedily: first everything called after the
 * stuck operation returned, then chunks of halving size (as delta debugging
 * does), latest calls first. Each step keeps the core valid, so when the shrinking budget (in
 * search steps, so the result does not depend on the machine) runs out, the
 * core found so far is reported, marked as not minimal.
 */
import { type Model, type Operation, UNKNOWN } from "./model.js";
import { searchLinearization } from "./search.js";

export interface CheckOptions {
  /** Time allowed for the whole check, in `clock` units (ms). Default: no limit. */
  readonly budgetMs?: number;
  /** Required when `budgetMs` is set: a monotonic reading in ms. */
  readonly clock?: () => number;
  /** Most configurations remembered per partition. */
  readonly cacheEntriesMax?: number;
  /**
   * Most search steps per partition (default: no limit). Unlike the time
   * budget, the outcome under this bound does not depend on the machine, so a
   * simulator run replays exactly.
   */
  readonly stepsMax?: number;
  /** Search steps allowed for shrinking a violation (0: do not shrink). */
  readonly shrinkStepsMax?: number;
}

export const CACHE_ENTRIES_MAX_DEFAULT = 2_000_000;
export const SHRINK_STEPS_MAX_DEFAULT = 1_000_000;
/** Each search while shrinking gets this much memory; one that needs more counts as "not shown illegal". */
const SHRINK_CACHE_ENTRIES_MAX = 20_000;

export interface Violation<I, O> {
  /** The partition (for a key-value model, the key) that is not linearizable. */
  readonly partition: string;
  /** How many operations the partition has. */
  readonly partitionSize: number;
  /** The deepest linearization the search reached, in linearization order. */
  readonly prefix: readonly Operation<I, O>[];
  /** The operation that could not be placed after `prefix`. */
  readonly stuck: Operation<I, O>;
  /**
   * Operations, in call order, that cannot be linearized together whatever the
   * rest of the partition did (see the header). Absent if not shrunk.
   */
  readonly core?: readonly Operation<I, O>[];
  /** True if no single operation can leave the core (shrinking finished). */
  readonly coreMinimal?: boolean;
}

export type CheckResult<I, O> =
  | { readonly outcome: "ok"; readonly partitions: number }
  | {
      readonly outcome: "illegal";
      readonly partitions: number;
      readonly violation: Violation<I, O>;
    }
  | {
      readonly outcome: "unknown";
      readonly partitions: number;
      /** The first partition whose search gave up. */
      readonly partition: string;
      readonly reason: "time" | "memory" | "steps";
    };

export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  const outOfTime = deadlineOf(options);
  const cacheEntriesMax = options.cacheEntriesMax ?? CACHE_ENTRIES_MAX_DEFAULT;
  const parts = model.partition?.(history) ?? new Map([["*", history]]);
  let gaveUp: { partition: string; reason: "time" | "memory" | "steps" } | undefined;
  for (const [partition, ops] of parts) {
    const result = searchLinearization(model, ops, {
      outOfTime,
      cacheEntriesMax,
      stepsMax: options.stepsMax,
    });
    if (result.outcome === "unknown") {
      gaveUp ??= { partition, reason: result.reason };
      if (result.reason === "time") break;
      continue;
    }
    if (result.outcome === "illegal") {
      const violation: Violation<I, O> = {
        partition,
        partitionSize: ops.length,
        prefix: result.prefix.map((i) => ops[i] as Operation<I, O>),
        stuck: ops[result.stuck] as Operation<I, O>,
      };
      const stepsMax = options.shrinkStepsMax ?? SHRINK_STEPS_MAX_DEFAULT;
      const shrunk =
        stepsMax > 0
          ? shrinkViolation(model, ops, violation.stuck, { outOfTime, stepsMax })
          : undefined;
      return {
        outcome: "illegal",
        partitions: parts.size,
        violation: shrunk === undefined ? violation : { ...violation, ...shrunk },
      };
    }
  }
  if (gaveUp !== undefined) return { outcome: "unknown", partitions: parts.size, ...gaveUp };
  return { outcome: "ok", partitions: parts.size };
}

function deadlineOf(options: CheckOptions): () => boolean {
  const { budgetMs, clock } = options;
  if (budgetMs === undefined) return () => false;
  if (clock === undefined) throw new TypeError("a check with budgetMs needs a clock");
  const deadline = clock() + budgetMs;
  return () => clock() >= deadline;
}

export interface ShrinkLimits {
  readonly outOfTime: () => boolean;
  /** Search steps allowed over all the searches of the shrinking. */
  readonly stepsMax: number;
}

/**
 * Shrinks a non-linearizable partition to a core of operations with known
 * outcomes (see the header). `stuck`, if given, is where the search failed.
 */
export function shrinkViolation<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  stuck: Operation<I, O> | undefined,
  limits: ShrinkLimits,
): { core: Operation<I, O>[]; coreMinimal: boolean } {
  const strict = ops.map((op) => op.return !== Number.POSITIVE_INFINITY);
  let stepsLeft = limits.stepsMax;
  let exhausted = false; // out of steps or time: stop
  let incomplete = false; // some search gave up for memory: the core may not be minimal

  const candidate = (): Operation<I, O>[] => {
    const out: Operation<I, O>[] = [];
    ops.forEach((op, i) => {
      if (strict[i]) out.push(op);
      else if (model.readOnly?.(op.input) !== true) {
        out.push({ ...op, output: UNKNOWN, return: Number.POSITIVE_INFINITY });
      }
    });
    return out;
  };
  /** Relaxes `indices`; keeps that if the partition stays illegal, else undoes it. */
  const tryRelax = (indices: readonly number[]): void => {
    const flipped = indices.filter((i) => strict[i]);
    if (flipped.length === 0 || exhausted) return;
    for (const i of flipped) strict[i] = false;
    const result = searchLinearization(model, candidate(), {
      outOfTime: limits.outOfTime,
      cacheEntriesMax: SHRINK_CACHE_ENTRIES_MAX,
      stepsMax: stepsLeft,
    });
    stepsLeft -= result.steps;
    if (result.outcome === "unknown") {
      if (result.reason === "memory") incomplete = true;
      else exhausted = true;
    }
    if (result.outcome !== "illegal") for (const i of flipped) strict[i] = true;
  };

  if (stuck !== undefined) {
    tryRelax(ops.flatMap((op, i) => (op.call > stuck.return ? [i] : [])));
  }
  // Latest first: a relaxed operation stays pending from its call to the end,
  // so relaxing late ones keeps the searches small while the core shrinks.
  const byCall = ops
    .map((_, i) => i)
    .sort((a, b) => (ops[b] as Operation<I, O>).call - (ops[a] as Operation<I, O>).call);
  for (
    let chunk = Math.max(1, ops.length >>> 1);
    chunk >= 1;
    chunk = chunk === 1 ? 0 : chunk >>> 1
  ) {
    for (let start = 0; start < byCall.length; start += chunk)
      tryRelax(byCall.slice(start, start + chunk));
  }
  const core = ops.filter((_, i) => strict[i]).sort((a, b) => a.call - b.call);
  return { core, coreMinimal: !exhausted && !incomplete };
}
