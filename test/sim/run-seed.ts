/**
 * One seed, start to end: draw the swarm configuration, build the world
 * (network, disks, clocks, nodes), run clients and the nemesis for the
 * active phase with the safety monitor checking every step, then heal
 * everything, run until the cluster is quiet, read every key once more, and
 * check that replicas converged and the history is linearizable.
 */
import { isTesseraError, type NodeId, nodeId } from "../../src/lib/index.js";
import type { StorageEngine } from "../../src/storage/index.js";
import { check, formatResult, kvModel } from "../lincheck/index.js";
import { bootHost } from "./boot-host.js";
import { bootRaft } from "./boot-raft.js";
import type { Knob } from "./knobs.js";
import { SafetyMonitor } from "./monitor.js";
import { Nemesis } from "./nemesis.js";
import { SimClock } from "./sim-clock.js";
import { SimDisk } from "./sim-disk.js";
import { SimNetwork } from "./sim-network.js";
import { type Boot, SimNode } from "./sim-node.js";
import { drawSwarm, type SwarmConfig } from "./swarm.js";
import { Workload } from "./workload.js";
import { World } from "./world.js";

export type SimMode = "raft" | "host";

export interface SeedOptions {
  readonly seed: number;
  readonly knob?: Knob;
  readonly mode?: SimMode;
  /** Receives every trace line (time, owner, event). */
  readonly trace?: (line: string) => void;
  /** Search steps per key for the linearizability check. */
  readonly lincheckStepsMax?: number;
  /** Let torn writes and corruption hit every sub-database, checksummed or not. */
  readonly damageAll?: boolean;
  /** Search steps for shrinking a violation to a small core. */
  readonly lincheckShrinkStepsMax?: number;
  /** No process pauses, whatever the seed draws: a seed runs as it did before pauses existed. */
  readonly noPauses?: boolean;
}

export interface SeedResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly failure?: string;
  readonly traceHash: string;
  readonly events: number;
  readonly simMs: number;
  readonly ops: { ok: number; fail: number; info: number };
  readonly lincheck: "ok" | "illegal" | "unknown" | "skipped";
  readonly swarm: SwarmConfig;
}

/**
 * How long the healed cluster has to converge: every range led, its members
 * caught up and agreeing, and no replica left on a node that is not a member
 * (replica GC asks a range's leader on a sweep of 10 s, after the meta table
 * shows the change).
 */
const QUIET_MS_MAX = 60_000;
const FINAL_READS_MS_MAX = 15_000;

class SeedFailure extends Error {}

export async function runSeed(o: SeedOptions): Promise<SeedResult> {
  const world = new World(o.seed);
  world.tracer = o.trace;
  const drawn = drawSwarm(world.rng.fork());
  const swarm = o.noPauses ? { ...drawn, pauseEveryMs: Number.POSITIVE_INFINITY } : drawn;
  const monitor = new SafetyMonitor();
  const network = new SimNetwork(world, { ...swarm.network });
  const ids: NodeId[] = Array.from({ length: swarm.nodeCount }, (_, i) => nodeId(i + 1));
  let failure: string | undefined;
  const fatal = (id: NodeId, e: unknown): void => {
    const node = nodes.find((n) => n.id === id);
    if (node && isTesseraError(e, "CORRUPTION") && node.disk.isCorrupted) {
      // Detected while running, as it must be: stop the node; the operator repairs and restarts it.
      nemesis.stats.corruptionsDetected++;
      world.note(`n${id}`, `corruption detected: ${e.message}`);
      world.after(0, "nemesis", `repair n${id}`, () => {
        node.crash();
        node.disk.repair();
        restart(node);
      });
      return;
    }
    failure ??= `n${id} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  };
  const disks = new Map<NodeId, SimDisk>();
  const boot: Boot = bootFor(o.mode ?? "raft", swarm, ids, monitor, o.knob, (id) => {
    const d = disks.get(id);
    if (!d) throw new Error(`no disk n${id}`);
    return d.durableView();
  });
  const nodes = ids.map((id) => {
    const drift =
      swarm.clockDriftPpmMax === 0
        ? 0
        : world.rng.intn(2 * swarm.clockDriftPpmMax) - swarm.clockDriftPpmMax;
    const clock = new SimClock(world, drift, world.rng.intn(200) - 100);
    const disk = new SimDisk(world, `n${id}`, {
      ...swarm.disk,
      ...(o.damageAll ? { damageDbsExcluded: [] } : {}),
    });
    disks.set(id, disk);
    return new SimNode(id, world, network, disk, clock, boot, fatal);
  });
  const restart = (n: SimNode): void => {
    try {
      n.start();
    } catch (e) {
      // CORRUPTION, or DATA_DIR for a damaged store identity: refused to start, as it must.
      if (
        (isTesseraError(e, "CORRUPTION") || isTesseraError(e, "DATA_DIR")) &&
        n.disk.isCorrupted
      ) {
        // Detected: the operator restores the block and restarts.
        nemesis.stats.corruptionsDetected++;
        world.note(`n${n.id}`, `corruption detected: ${e.message}`);
        n.disk.repair();
        n.start();
      } else throw e;
    }
  };
  const nemesis = new Nemesis(world, world.rng.fork(), network, nodes, swarm, restart);
  const workload = new Workload(world, world.rng.fork(), nodes, swarm);
  const failed = (): boolean => failure !== undefined || monitor.violation !== undefined;
  world.afterEvent = () => {
    if (failed()) return;
    try {
      for (const n of nodes) n.runtime?.observe?.();
    } catch (e) {
      if (!monitor.violation)
        failure ??= `observer error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    }
  };
  const result = (lincheck: SeedResult["lincheck"]): SeedResult => ({
    seed: o.seed,
    ok: !failed(),
    ...(failed() ? { failure: monitor.violation?.message ?? failure } : {}),
    traceHash: world.traceHash,
    events: world.eventsTotal,
    simMs: world.nowMs,
    ops: { ok: workload.opsOk, fail: workload.opsFail, info: workload.opsInfo },
    lincheck,
    swarm,
  });

  try {
    for (const n of nodes) n.start();
    workload.start();
    nemesis.start();
    await world.run(swarm.activeMs, failed);
    if (failed()) return result("skipped");
    workload.stop();
    // Undetected damage (a value nobody read) is restored before the final comparison.
    for (const n of nodes) {
      if (n.disk.isCorrupted) {
        n.crash();
        n.disk.repair();
      }
    }
    nemesis.healAll();
    const quiet = (): boolean => failed() || (workload.idle && converged(nodes) === undefined);
    await world.run(world.nowMs + QUIET_MS_MAX, quiet);
    if (failed()) return result("skipped");
    const divergence = converged(nodes);
    if (divergence) {
      failure = `no convergence after healing: ${divergence}`;
      return result("skipped");
    }
    const reader = nodes[world.rng.intn(nodes.length)] as SimNode;
    workload.finalReads(reader, 1000);
    await world.run(world.nowMs + FINAL_READS_MS_MAX, () => failed() || workload.idle);
    if (failed()) return result("skipped");
  } catch (e) {
    if (!(e instanceof SeedFailure))
      failure ??= `simulator error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    return result("skipped");
  }
  const history = workload.recorder.history();
  const lin = check(kvModel, history, {
    stepsMax: o.lincheckStepsMax ?? 200_000,
    shrinkStepsMax: o.lincheckShrinkStepsMax ?? 20_000,
  });
  if (lin.outcome === "illegal") failure = `not linearizable: ${formatResult(kvModel, lin)}`;
  world.note("world", `lincheck ${lin.outcome}`);
  return result(lin.outcome);
}

function bootFor(
  mode: SimMode,
  swarm: SwarmConfig,
  ids: readonly NodeId[],
  monitor: SafetyMonitor,
  knob: Knob | undefined,
  durableView: (id: NodeId) => StorageEngine,
): Boot {
  switch (mode) {
    case "raft":
      return bootRaft(swarm, ids, monitor, knob);
    case "host":
      return bootHost({
        nodes: ids,
        initialVoters: ids.slice(0, swarm.initialVoters),
        monitor,
        knob,
        durableView,
      });
  }
}

/** Why the cluster has not converged, or undefined when every range agrees on every member replica. */
function converged(nodes: readonly SimNode[]): string | undefined {
  type Rep = {
    id: NodeId;
    applied: number;
    commit: number;
    digest: number;
    leader: boolean;
    members: readonly NodeId[];
  };
  const byRange = new Map<number, Rep[]>();
  for (const n of nodes) {
    if (!n.runtime) return `n${n.id} is down`;
    for (const r of n.runtime.ranges()) {
      const list = byRange.get(r.range) ?? [];
      list.push({
        id: n.id,
        applied: r.applied,
        commit: r.commit,
        digest: r.digest,
        leader: r.isLeader,
        members: r.members,
      });
      byRange.set(r.range, list);
    }
  }
  for (const [range, all] of byRange) {
    const leader = all.find((r) => r.leader);
    if (!leader) {
      const seen = all.map(
        (r) => `n${r.id} members [${r.members}] applied ${r.applied}/commit ${r.commit}`,
      );
      return `range ${range} has no leader (${seen.join("; ")})`;
    }
    // Members must agree; a replica of a node no longer a member goes once
    // its node learns so (replica GC: StoreHost.collectGarbage).
    const reps = all.filter((r) => leader.members.includes(r.id));
    const stale = all.find((r) => !leader.members.includes(r.id));
    if (stale) return `range ${range}: n${stale.id} keeps a replica, not a member`;
    for (const m of leader.members) {
      if (!reps.some((r) => r.id === m)) return `range ${range}: member n${m} has no replica yet`;
    }
    for (const r of reps) {
      if (r.applied !== leader.applied || r.commit !== r.applied) {
        return `range ${range}: n${r.id} applied ${r.applied}/commit ${r.commit}, leader n${leader.id} applied ${leader.applied}`;
      }
      if (r.digest !== leader.digest)
        return `range ${range}: n${r.id} and n${leader.id} differ at applied ${r.applied}`;
    }
  }
  // Every member has its replica (above), so one that holds nothing is a
  // stale leader's leftover, which the node lets go once idle.
  for (const n of nodes) {
    const empty = n.runtime?.uninitialized?.() ?? [];
    if (empty.length > 0) return `n${n.id} keeps uninitialized replicas of ranges [${empty}]`;
  }
  return undefined;
}
