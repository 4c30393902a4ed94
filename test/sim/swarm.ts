/**
 * Swarm testing (Groce et al., ISSTA 2012): each seed draws its own
 * configuration — node count, fault rates, workload mix — so that across many
 * seeds some run calm and some brutal, some without loss and some with it,
 * and feature interactions that uniform settings would mask get exercised.
 */
import type { SeededRng } from "../../src/lib/index.js";
import type { DiskFaults } from "./sim-disk.js";
import type { NetworkFaults } from "./sim-network.js";

export type OpKind = "GET" | "SET" | "SETNX" | "INCR" | "APPEND" | "DEL" | "GETSET";
export const OP_KINDS: readonly OpKind[] = [
  "GET",
  "SET",
  "SETNX",
  "INCR",
  "APPEND",
  "DEL",
  "GETSET",
];

export interface SwarmConfig {
  readonly nodeCount: number;
  readonly network: NetworkFaults;
  readonly disk: DiskFaults;
  /** Mean milliseconds between nemesis actions of each kind; Infinity: never. */
  readonly crashEveryMs: number;
  readonly partitionEveryMs: number;
  readonly clogEveryMs: number;
  readonly clockJumpEveryMs: number;
  /** Host level: voters each range starts with (the first ones), and the fewest removals leave. */
  readonly initialVoters: number;
  readonly votersMin: number;
  /** Host level: membership changes (add, remove, replace a voter). */
  readonly reconfigureEveryMs: number;
  /** Mean time between range splits (host mode). */
  readonly splitEveryMs: number;
  readonly corruptionEnabled: boolean;
  /**
   * Share of crashes that are a power loss: every node that is up goes down
   * at once, each losing what its disk had not synced (0: never). A write
   * acknowledged before it was durable on a majority is lost this way far more
   * often than by one node's crash, which its peers' copies cover.
   */
  readonly powerLossShare: number;
  readonly clockDriftPpmMax: number;
  readonly clients: number;
  readonly keys: number;
  readonly opWeights: Readonly<Record<OpKind, number>>;
  readonly thinkMsMax: number;
  /** Simulated time with clients and faults, before healing. */
  readonly activeMs: number;
  readonly readOnlyOption: "safe" | "lease-based";
  /** Raft level: bytes per append message (1: one entry per message, which slows catch-up to a crawl). */
  readonly raftMsgBytesMax: number;
  /**
   * Mean time between process pauses: a node stops for a while (SIGSTOP, a
   * VM frozen, a very long collection) with its clock running on, then
   * resumes with everything that arrived meanwhile.
   */
  readonly pauseEveryMs: number;
}

/** The store's sub-databases whose values carry no checksum yet. */
export const UNCHECKSUMMED_DBS: readonly string[] = ["data", "meta"];

const pick = <T>(rng: SeededRng, xs: readonly T[]): T => xs[rng.intn(xs.length)] as T;
const chance = (rng: SeededRng, p: number): boolean => rng.float() < p;

export function drawSwarm(rng: SeededRng): SwarmConfig {
  const opWeights = {} as Record<OpKind, number>;
  for (const k of OP_KINDS) opWeights[k] = chance(rng, 0.8) ? 1 + rng.intn(5) : 0;
  opWeights.GET = Math.max(opWeights.GET, 1);
  opWeights.SET = Math.max(opWeights.SET, 1);
  const never = Number.POSITIVE_INFINITY;
  return {
    nodeCount: pick(rng, [3, 3, 4, 5, 5]),
    network: {
      lossRate: chance(rng, 0.5) ? 0 : rng.float() * 0.08,
      duplicateRate: chance(rng, 0.6) ? 0 : rng.float() * 0.05,
      latencyMedianMs: 0.3 + rng.float() * 8,
      latencySigma: rng.float() * 1.2,
      latencyMaxMs: 400,
    },
    disk: {
      fsyncMedianMs: 0.3 + rng.float() * 6,
      stallRate: chance(rng, 0.5) ? 0 : rng.float() * 0.03,
      stallMs: 50 + rng.intn(400),
      tornWriteRate: chance(rng, 0.5) ? 0 : rng.float(),
      damageDbsExcluded: UNCHECKSUMMED_DBS,
    },
    crashEveryMs: chance(rng, 0.2) ? never : 800 + rng.intn(5000),
    partitionEveryMs: chance(rng, 0.25) ? never : 800 + rng.intn(5000),
    clogEveryMs: chance(rng, 0.5) ? never : 500 + rng.intn(4000),
    clockJumpEveryMs: chance(rng, 0.6) ? never : 1000 + rng.intn(5000),
    reconfigureEveryMs: chance(rng, 0.4) ? never : 1000 + rng.intn(4000),
    ...(chance(rng, 0.25)
      ? { initialVoters: 1, votersMin: 1 }
      : { initialVoters: 3, votersMin: 3 }),
    corruptionEnabled: chance(rng, 0.15),
    clockDriftPpmMax: pick(rng, [0, 50, 500]),
    clients: 2 + rng.intn(5),
    keys: 1 + rng.intn(4),
    opWeights,
    thinkMsMax: pick(rng, [1, 10, 50, 200]),
    activeMs: 6000 + rng.intn(10_000),
    readOnlyOption: chance(rng, 0.5) ? "safe" : "lease-based",
    raftMsgBytesMax: chance(rng, 0.5) ? 1 : 64 * 1024,
    // Drawn last, so the draws above stay what they were for every seed.
    splitEveryMs: chance(rng, 0.4) ? never : 700 + rng.intn(3000),
    powerLossShare: chance(rng, 0.5) ? 0 : 0.1 + rng.float() * 0.3,
    pauseEveryMs: chance(rng, 0.5) ? never : 1000 + rng.intn(5000),
  };
}
