/**
 * The settings of `planCluster` (types.ts `PlannerSettings`): defaults, the
 * check of their values and relations, and the bounds derived from them.
 *
 * `mergeBytesMax: 0` turns merging off (no two ranges hold fewer than zero
 * bytes), for a driver that cannot merge yet: otherwise a pair lined up for
 * a merge that never happens stays out of rebalancing.
 *
 * The relations are what keeps splits and merges from undoing each other
 * (no split/merge thrash):
 * - `2 * mergeBytesMax <= splitBytesMax` and likewise for keys: two
 *   neighbours merge only when together they hold at most half of what makes
 *   a range split, so a merged range must double before it splits; and the
 *   halves of a size split (about half the split bound each, since the split
 *   key is the median) hold together more than the merge bound, so they are
 *   not merged back.
 * - `4 * mergeOpsPerSecMax <= splitOpsPerSecMax`: both neighbours of a merge
 *   serve under `mergeOpsPerSecMax`, so the merged range serves under half
 *   the load-split bound; the halves of a load split serve about half the
 *   bound each, at least twice the merge bound, so they are not cold.
 */
import { TesseraError } from "../../lib/index.js";
import type { PlannerSettings } from "./types.js";

const MIB = 1024 * 1024;

export const DEFAULT_PLANNER_SETTINGS: PlannerSettings = {
  replicationFactor: 3,
  splitBytesMax: 64 * MIB,
  splitKeysMax: 500_000,
  splitOpsPerSecMax: 2_000,
  mergeBytesMax: 16 * MIB,
  mergeOpsPerSecMax: 200,
  rebalanceThreshold: 0.1,
};

/** Throws INVALID_ARGUMENT naming the first setting that is out of range or breaks a relation. */
export function checkPlannerSettings(s: PlannerSettings): void {
  const positiveInts: [string, number | undefined][] = [
    ["replicationFactor", s.replicationFactor],
    ["splitBytesMax", s.splitBytesMax],
    ["splitKeysMax", s.splitKeysMax],
    ["mergeKeysMax", s.mergeKeysMax],
    ["rangesMax", s.rangesMax],
    ["actionsPerPlanMax", s.actionsPerPlanMax],
  ];
  for (const [name, value] of positiveInts) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
      fail(`planner setting ${name} must be a positive integer, got ${value}`);
    }
  }
  if (!Number.isSafeInteger(s.mergeBytesMax) || s.mergeBytesMax < 0) {
    fail(`planner setting mergeBytesMax must be a non-negative integer, got ${s.mergeBytesMax}`);
  }
  const positives: [string, number][] = [
    ["splitOpsPerSecMax", s.splitOpsPerSecMax],
    ["mergeOpsPerSecMax", s.mergeOpsPerSecMax],
  ];
  for (const [name, value] of positives) {
    if (!Number.isFinite(value) || value <= 0) {
      fail(`planner setting ${name} must be a positive number, got ${value}`);
    }
  }
  if (!Number.isFinite(s.rebalanceThreshold) || s.rebalanceThreshold < 0) {
    fail(`planner setting rebalanceThreshold must be >= 0, got ${s.rebalanceThreshold}`);
  }
  if (2 * s.mergeBytesMax > s.splitBytesMax) {
    fail("planner setting mergeBytesMax must be at most half of splitBytesMax");
  }
  if (2 * mergeKeysMax(s) > s.splitKeysMax) {
    fail("planner setting mergeKeysMax must be at most half of splitKeysMax");
  }
  if (4 * s.mergeOpsPerSecMax > s.splitOpsPerSecMax) {
    fail("planner setting mergeOpsPerSecMax must be at most a quarter of splitOpsPerSecMax");
  }
}

/** Two neighbours merge only when together they hold fewer keys than this. */
export function mergeKeysMax(s: PlannerSettings): number {
  return s.mergeKeysMax ?? Math.floor((s.splitKeysMax * s.mergeBytesMax) / s.splitBytesMax);
}

/** Most actions of one family (membership, leadership, split/merge) in one plan. */
export function actionsPerPlanMax(s: PlannerSettings, memberNodes: number): number {
  return s.actionsPerPlanMax ?? Math.max(1, Math.floor(memberNodes / 2));
}

/**
 * How far apart two nodes' replica counts may be before a move is planned:
 * `rebalanceThreshold` of the mean plus one. At least one, so a planned move
 * always narrows the gap (it needs a gap of two or more).
 */
export function countGapMax(s: PlannerSettings, mean: number): number {
  return s.rebalanceThreshold * mean + 1;
}

function fail(message: string): never {
  throw new TesseraError("INVALID_ARGUMENT", message);
}
