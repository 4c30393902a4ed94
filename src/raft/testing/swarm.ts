/**
 * Swarm testing for the chaos simulator: each seed picks its own cluster size
 * (3–5 nodes), its own fault rates (message loss, duplication, reordering,
 * symmetric and one-way partitions, restarts), its own workload (membership
 * changes, compaction, ReadIndex) and its own configuration (PreVote,
 * CheckQuorum, async storage writes, late advance, tiny flow-control windows).
 * Many runs that each leave some features out find more than many runs of one
 * mix that has them all (Groce et al., "Swarm Testing", ISSTA 2012).
 *
 * The choice depends on the seed alone, so a seed names a run exactly; the
 * summary says what the seed chose, for failure messages.
 */
import { SeededRng } from "../../lib/index.js";
import type { ChaosMix, ChaosOptions } from "./chaos.js";
import type { NodeConfig } from "./network.js";

export interface SwarmRun {
  readonly options: ChaosOptions;
  /** One line saying what the seed chose. */
  readonly summary: string;
}

/** The steps of one swarm run lie in [stepsMin, stepsMin + stepsSpread). */
export const SWARM_STEPS_MIN = 500;
export const SWARM_STEPS_SPREAD = 1000;

/** The chaos run that `seed` names. */
export function swarmRun(seed: number): SwarmRun {
  const rng = new SeededRng(Math.imul(seed, 0x9e3779b1) ^ 0x5a17);
  const chance = (perMille: number) => rng.intn(1000) < perMille;
  /** `lo + intn(spread)` with probability `p`‰, else 0: a feature on or off, and how much. */
  const maybe = (p: number, lo: number, spread: number) => (chance(p) ? lo + rng.intn(spread) : 0);

  const nodes = 3 + rng.intn(3);
  const steps = SWARM_STEPS_MIN + rng.intn(SWARM_STEPS_SPREAD);
  const confChangePerMille = maybe(400, 4, 20);
  // With membership changes, some nodes start as spares waiting to be added.
  const voterCount = confChangePerMille > 0 ? 3 + rng.intn(nodes - 2) : nodes;
  const voters = Array.from({ length: voterCount }, (_, i) => i + 1);
  const asyncStorageWrites = chance(333);
  const smallWindows = chance(200);
  const config: NodeConfig = {
    preVote: chance(500),
    checkQuorum: chance(500),
    stepDownOnRemoval: chance(500),
    asyncStorageWrites,
    electionTick: 6 + rng.intn(15),
    heartbeatTick: 1 + rng.intn(3),
    ...(smallWindows ? { maxInflightMsgs: 1 + rng.intn(4), maxSizePerMsg: 1 } : {}),
  };
  const partitions = chance(700);
  const mix: ChaosMix = {
    deliver: 250 + rng.intn(400),
    duplicate: maybe(500, 5, 100),
    drop: maybe(500, 5, 100),
    flush: 40 + rng.intn(150),
    tick: 100 + rng.intn(250),
    propose: 40 + rng.intn(160),
    isolate: partitions ? maybe(500, 2, 25) : 0,
    partition: partitions ? maybe(500, 2, 25) : 0,
    cutOneWay: partitions ? maybe(500, 2, 25) : 0,
    recover: 10 + rng.intn(40),
  };
  const options: ChaosOptions = {
    seed,
    nodes,
    steps,
    voters,
    config,
    mix,
    reorderPerMille: [0, 50, 300, 1000][rng.intn(4)]!,
    lossPerMille: maybe(500, 5, 250),
    restartPerMille: maybe(800, 1, 25),
    confChangePerMille,
    compactPerMille: maybe(500, 2, 25),
    readPerMille: maybe(500, 5, 40),
    lazyAdvance: !asyncStorageWrites && chance(333),
  };
  return { options, summary: describeSwarmRun(options) };
}

function describeSwarmRun(o: ChaosOptions): string {
  const c = o.config ?? {};
  const m = o.mix ?? {};
  const flags = [
    c.preVote && "prevote",
    c.checkQuorum && "checkquorum",
    c.asyncStorageWrites && "async-writes",
    o.lazyAdvance && "lazy-advance",
    c.stepDownOnRemoval && "stepdown-on-removal",
    c.maxSizePerMsg === 1 && `inflight ${c.maxInflightMsgs}x1`,
  ].filter((f) => f);
  const rates = Object.entries({
    loss: o.lossPerMille,
    reorder: o.reorderPerMille,
    dup: m.duplicate,
    drop: m.drop,
    isolate: m.isolate,
    partition: m.partition,
    oneway: m.cutOneWay,
    restart: o.restartPerMille,
    confchange: o.confChangePerMille,
    compact: o.compactPerMille,
    read: o.readPerMille,
  })
    .filter(([, v]) => v)
    .map(([k, v]) => `${k} ${v}‰`);
  return [
    `${o.nodes} nodes (${o.voters?.length} voters)`,
    `${o.steps} steps`,
    `election ${c.electionTick}/heartbeat ${c.heartbeatTick} ticks`,
    ...flags,
    ...rates,
  ].join(", ");
}
