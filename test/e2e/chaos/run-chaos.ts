/**
 * One chaos run, start to finish: start a cluster, run the clients and the
 * nemesis side by side for the duration, heal everything, wait until every
 * node serves, take the final reads and the verdicts (verify.ts). Every
 * process it started is killed and every temp dir removed at the end, on
 * success or failure.
 */
import { stopAll } from "../../support/process.js";
import { ChaosCluster, type NotServing, SERVER_TIMEOUT_MS } from "./chaos-cluster.js";
import { Nemesis, type NemesisEvent } from "./nemesis.js";
import { makeSchedule, type Step } from "./schedule.js";
import {
  type CounterBound,
  checkHistory,
  counterBounds,
  finalReads,
  findLostWrites,
  type LinearizabilityVerdict,
  type LostWrites,
} from "./verify.js";
import { type Tally, Workload } from "./workload.js";

export interface ChaosOptions {
  readonly durationMs: number;
  readonly nodeCount: number;
  readonly clientCount: number;
  readonly seed: number;
  /** Time the linearizability checker may take. */
  readonly checkBudgetMs: number;
  readonly log: (line: string) => void;
}

export interface ChaosReport {
  readonly options: Omit<ChaosOptions, "log">;
  readonly schedule: readonly Step[];
  readonly events: readonly NemesisEvent[];
  readonly tally: Tally;
  readonly tallyByCmd: ReadonlyMap<string, Tally>;
  readonly connects: number;
  readonly linearizability: LinearizabilityVerdict;
  readonly lostWrites: LostWrites;
  readonly counters: readonly CounterBound[];
  readonly consistencyOf: ReadonlyMap<number, string>;
  readonly healMs: number;
  /** Nodes that did not serve within the bound after the heal (an availability finding). */
  readonly notServing: readonly NotServing[];
  /** What the nodes said of themselves, when some did not serve. */
  readonly clusterState: string;
}

const REGISTER_KEYS = ["chaos:r:a", "chaos:r:b", "chaos:r:c", "chaos:r:d", "chaos:r:e"];
const COUNTER_KEYS = ["chaos:c:x", "chaos:c:y"];
const KEY_EPOCH_MS = 10_000;
const QUIET_MS = 2_000;
const COMMAND_TIMEOUT_MS = SERVER_TIMEOUT_MS + 1_000;
const HEAL_TIMEOUT_MS = 45_000;

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const schedule = makeSchedule({
    seed: o.seed,
    nodeCount: o.nodeCount,
    durationMs: o.durationMs,
    quietMs: QUIET_MS,
  });
  try {
    o.log(`starting ${o.nodeCount} nodes`);
    const cluster = await ChaosCluster.start(o.nodeCount);
    o.log(`cluster up: node ids ${cluster.nodeIds.join(", ")}; ${schedule.length} nemesis steps`);
    const workload = new Workload({
      clientCount: o.clientCount,
      seed: o.seed,
      registerKeys: REGISTER_KEYS,
      counterKeys: COUNTER_KEYS,
      epochMs: KEY_EPOCH_MS,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      portOf: (i) => cluster.respPortOf(i),
      nodeCount: o.nodeCount,
    });
    const startMs = performance.now();
    const nemesis = new Nemesis(cluster, startMs, o.log);
    const nemesisDone = nemesis.run(schedule);
    // Awaited below; a failure of the nemesis ends the run once the clients are done.
    nemesisDone.catch(() => {});
    await workload.run(startMs + o.durationMs);
    nemesis.stop();
    await nemesisDone;
    o.log(
      `workload done: ${workload.tally.ok} ok, ${workload.tally.fail} fail, ${workload.tally.info} info`,
    );

    const healStart = performance.now();
    const notServing = await cluster.healAll(HEAL_TIMEOUT_MS);
    const healMs = performance.now() - healStart;
    const clusterState = notServing.length > 0 ? await cluster.describe() : "";
    const serving = cluster.slots.find((s) => !notServing.some((n) => n.index === s.index));
    if (serving === undefined) throw new Error(`no node serves after the heal:\n${clusterState}`);
    o.log(
      `healed after ${Math.round(healMs)} ms; ${notServing.length === 0 ? "every node serves" : `${notServing.length} nodes do not serve`}`,
    );
    const port = serving.proc.respPort;
    const counterKeys = [...workload.countersUsed].sort();
    await finalReads(workload, port, [...workload.registersUsed, ...counterKeys]);
    const lostWrites = await findLostWrites(workload, port);
    const counters = await counterBounds(workload, port, counterKeys);
    o.log(`checking ${workload.recorder.history().length} operations for linearizability`);
    const linearizability = checkHistory(workload, o.checkBudgetMs);
    const { log: _log, ...options } = o;
    return {
      options,
      schedule,
      events: nemesis.events,
      tally: workload.tally,
      tallyByCmd: workload.tallyByCmd,
      connects: workload.connectCount,
      linearizability,
      lostWrites,
      counters,
      consistencyOf: workload.consistencyOf,
      healMs,
      notServing,
      clusterState,
    };
  } finally {
    await stopAll();
  }
}

/** The violations of a report, in words (empty: the run upheld every promise). */
export function violationsOf(r: ChaosReport): string[] {
  const v: string[] = [];
  if (r.linearizability.result.outcome === "illegal") v.push("the history is not linearizable");
  if (r.lostWrites.missing.length > 0)
    v.push(`${r.lostWrites.missing.length} acknowledged writes lost`);
  if (r.lostWrites.corrupt.length > 0)
    v.push(`${r.lostWrites.corrupt.length} unique keys hold a value never written to them`);
  for (const c of r.counters.filter((x) => !x.holds))
    v.push(`counter ${c.key} = ${c.value} outside [${c.acked}, ${c.acked + c.unknown}]`);
  return v;
}
