/**
 * The nemesis schedule of a chaos run: a list of fault steps drawn up front
 * from a seeded `Rng`, so one seed always gives the same schedule (when each
 * step starts, which kinds of fault, how long each holds, which nodes by
 * index or "the leader"). Process timing is not reproducible: a restart takes
 * as long as it takes, and a step that targets the leader acts on whichever
 * node leads when it starts.
 *
 * Invariant: the nodes one step faults (killed, paused, or cut off on the
 * minority side of a partition) are distinct and never more than a minority
 * of the cluster, and steps do not overlap (the runner heals one step before
 * it starts the next), so a quorum is always left to serve.
 */
import { assert, SeededRng } from "../../../src/lib/index.js";

export type FaultKind = "kill" | "pause" | "partition";

/** A node chosen by the schedule: its index, or the current leader (with the index as fallback). */
export interface NodeChoice {
  readonly index: number;
  readonly leader: boolean;
}

export interface Fault {
  readonly kind: FaultKind;
  /** For a partition, the minority side; it is cut off from every other node. */
  readonly nodes: readonly NodeChoice[];
  /** How long the fault holds before it is healed (a killed node is then restarted). */
  readonly holdMs: number;
}

export interface Step {
  /** Planned start, from the start of the run. */
  readonly atMs: number;
  readonly faults: readonly Fault[];
}

export interface ScheduleOptions {
  readonly seed: number;
  readonly nodeCount: number;
  readonly durationMs: number;
  /** No fault starts before this, nor ends after `durationMs` minus this. */
  readonly quietMs: number;
}

const GAP_MS_MIN = 500;
const GAP_MS_MAX = 4_000;
const HOLD_MS_MIN = 500;
const HOLD_MS_MAX = 8_000;
const STEPS_MAX = 10_000;

/** The most nodes that may be faulted at once: a minority. */
export function faultedNodesMax(nodeCount: number): number {
  return Math.floor((nodeCount - 1) / 2);
}

export function makeSchedule(o: ScheduleOptions): Step[] {
  assert(o.nodeCount >= 3, "a chaos run needs at least 3 nodes");
  const rng = new SeededRng(o.seed);
  const between = (lo: number, hi: number) => lo + rng.intn(hi - lo + 1);
  const steps: Step[] = [];
  let t = o.quietMs;
  const end = o.durationMs - o.quietMs;
  // The first steps lead with each kind of fault once, in a seeded order, so even a short run has all three.
  const firstKinds: FaultKind[] = ["kill", "pause", "partition"];
  for (let i = firstKinds.length - 1; i > 0; i--) {
    const j = rng.intn(i + 1);
    [firstKinds[i], firstKinds[j]] = [firstKinds[j]!, firstKinds[i]!];
  }
  while (steps.length < STEPS_MAX) {
    const faults = drawFaults(rng, o.nodeCount, between, firstKinds[steps.length]);
    const stepMs = Math.max(...faults.map((f) => f.holdMs));
    if (t + stepMs > end) break;
    steps.push({ atMs: t, faults });
    t += stepMs + between(GAP_MS_MIN, GAP_MS_MAX);
  }
  return steps;
}

function drawFaults(
  rng: SeededRng,
  nodeCount: number,
  between: (lo: number, hi: number) => number,
  firstKind: FaultKind | undefined,
): Fault[] {
  const budget = 1 + rng.intn(faultedNodesMax(nodeCount));
  const free = Array.from({ length: nodeCount }, (_, i) => i);
  const take = (): number => free.splice(rng.intn(free.length), 1)[0]!;
  const faults: Fault[] = [];
  let used = 0;
  let partitioned = false;
  while (used < budget) {
    const kinds: FaultKind[] = partitioned ? ["kill", "pause"] : ["kill", "pause", "partition"];
    const drawn = kinds[rng.intn(kinds.length)]!;
    const kind = faults.length === 0 && firstKind !== undefined ? firstKind : drawn;
    // A partition may cut off several nodes at once; other faults take one node each.
    const size = kind === "partition" ? 1 + rng.intn(budget - used) : 1;
    const nodes: NodeChoice[] = [];
    for (let i = 0; i < size; i++) nodes.push({ index: take(), leader: rng.intn(2) === 0 });
    faults.push({ kind, nodes, holdMs: between(HOLD_MS_MIN, HOLD_MS_MAX) });
    partitioned ||= kind === "partition";
    used += size;
  }
  assert(used <= faultedNodesMax(nodeCount), "a step faults more than a minority");
  return faults;
}

export function describeFault(f: Fault): string {
  const who = f.nodes.map((n) => (n.leader ? `leader|#${n.index}` : `#${n.index}`)).join(",");
  return `${f.kind} ${who} for ${f.holdMs} ms`;
}
