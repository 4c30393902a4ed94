/**
 * A seeded chaos run over the in-memory network: random ticks, proposals,
 * reordered, duplicated and dropped messages, partitions and restarts, with
 * the network's safety checks after every step, then a healing phase that
 * must end with every node applying the same history (liveness once the
 * network is good). Reusable by longer randomized suites.
 *
 * Unless told otherwise, a `SafetyObserver` checks every Raft safety property
 * after every step and through the healing phase. The mix of actions, the
 * message loss and the reordering are tunable, so a swarm of runs can each
 * stress a different corner (see swarm.ts); the defaults keep the historical
 * mix, so a seed replays the same run it always did.
 */
import { assert, isTesseraError, nodeId, SeededRng } from "../../lib/index.js";
import type { ConfChange, ConfChangeSingle, ConfChangeType } from "../types.js";
import { Network, type NodeConfig } from "./network.js";
import { type ObserverOptions, SafetyObserver } from "./safety-observer.js";

/**
 * The relative weight of each per-step action, per mille of steps (the draw is
 * over max(1000, sum); what is left over does nothing that step). An action
 * that cannot happen (nothing in flight, nothing to flush) falls through to
 * the next band that can.
 */
export interface ChaosMix {
  /** Deliver an in-flight message (which one: see `reorderPerMille`). */
  readonly deliver: number;
  /** Queue a second copy of an in-flight message. */
  readonly duplicate: number;
  /** Lose an in-flight message. */
  readonly drop: number;
  /** Async storage writes only: perform one node's queued storage work. */
  readonly flush: number;
  readonly tick: number;
  readonly propose: number;
  /** Cut one node off from all others. */
  readonly isolate: number;
  /** Split the nodes into two random groups that cannot talk to each other. */
  readonly partition: number;
  /** Cut one direction of one random link (an asymmetric partition). */
  readonly cutOneWay: number;
  /** Heal every partition. */
  readonly recover: number;
}

export const DEFAULT_CHAOS_MIX: ChaosMix = {
  deliver: 400,
  duplicate: 40,
  drop: 60,
  flush: 100,
  tick: 200,
  propose: 100,
  isolate: 15,
  partition: 0,
  cutOneWay: 0,
  recover: 25,
};

export interface ChaosOptions {
  readonly seed: number;
  readonly nodes?: number;
  readonly steps?: number;
  readonly config?: NodeConfig;
  /** Per-mille chance per step of restarting a random node. */
  readonly restartPerMille?: number;
  /** The initial voters (default: every node); the others are spares. */
  readonly voters?: readonly number[];
  /** Per-mille chance per step of proposing a random membership change at a random node. */
  readonly confChangePerMille?: number;
  /** Per-mille chance per step of compacting a random node's log at its applied index. */
  readonly compactPerMille?: number;
  /**
   * Per-mille chance per step of a ReadIndex request at a random node. Every
   * answer is checked: its index must be at least the highest commit index any
   * node had when the read was requested (a read never misses a write that was
   * committed before it began). Sound for "safe" reads only.
   */
  readonly readPerMille?: number;
  /** Synchronous mode: advance each Ready late, stepping messages in between (see SimNode). */
  readonly lazyAdvance?: boolean;
  /** Overrides of the per-step action weights (DEFAULT_CHAOS_MIX). */
  readonly mix?: Partial<ChaosMix>;
  /**
   * Per-mille chance that a delivery takes a random in-flight message rather
   * than the oldest one; unset, every delivery picks at random.
   */
  readonly reorderPerMille?: number;
  /** Per-mille chance that the network loses a message on delivery (outside partitions). */
  readonly lossPerMille?: number;
  /** The safety observer's options, or false for none. */
  readonly observer?: ObserverOptions | false;
  /** Restarts node `id` (default: `SimNode.restart`); tests inject storage faults here. */
  readonly restart?: (nt: Network, id: number) => void;
  /** Runs once the network is built, before the first step (to install a `tamper`, say). */
  readonly setup?: (nt: Network) => void;
}

const CHANGE_TYPES: readonly ConfChangeType[] = ["add-node", "add-learner", "remove-node"];

/** The index of the band `x` falls in, bands laid end to end from 0; -1 past the last. */
function band(x: number, widths: readonly number[]): number {
  let end = 0;
  for (const [i, w] of widths.entries()) {
    end += w;
    if (x < end) return i;
  }
  return -1;
}

function randomConfChange(rng: SeededRng, ids: readonly number[]): ConfChange {
  const one = (): ConfChangeSingle => ({
    type: CHANGE_TYPES[rng.intn(CHANGE_TYPES.length)]!,
    nodeId: nodeId(ids[rng.intn(ids.length)]!),
  });
  const r = rng.intn(10);
  if (r < 5) return { transition: "auto", changes: [one()] };
  if (r < 8) return { transition: "auto", changes: [one(), one()] };
  if (r < 9) return { transition: "joint-explicit", changes: [one()] };
  return { transition: "auto", changes: [] };
}

/** Two non-empty groups of `ids`, chosen at random. */
function randomSplit(rng: SeededRng, ids: readonly number[]): [number[], number[]] {
  const shuffled = ids.slice();
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = rng.intn(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const cut = 1 + rng.intn(shuffled.length - 1);
  return [shuffled.slice(0, cut), shuffled.slice(cut)];
}

export interface ChaosResult {
  readonly network: Network;
  readonly observer: SafetyObserver | undefined;
  readonly proposed: number;
  readonly applied: number;
}

export function runChaos(o: ChaosOptions): ChaosResult {
  const n = o.nodes ?? 5;
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const nt = new Network({
    ids,
    voters: o.voters ?? ids,
    bootstrapAll: true,
    config: o.config,
    seed: o.seed,
  });
  const observer = o.observer === false ? undefined : new SafetyObserver(nt, o.observer);
  o.setup?.(nt);
  const loseMessages = () => {
    if (o.lossPerMille) nt.drop("*", 0, o.lossPerMille / 1000);
  };
  loseMessages();
  const mix = { ...DEFAULT_CHAOS_MIX, ...o.mix };
  const bands = [
    mix.deliver,
    mix.duplicate,
    mix.drop,
    mix.flush,
    mix.tick,
    mix.propose,
    mix.isolate,
    mix.partition,
    mix.cutOneWay,
    mix.recover,
  ];
  const drawMax = Math.max(
    1000,
    bands.reduce((a, b) => a + b, 0),
  );
  const rng = new SeededRng(o.seed * 7919 + 1);
  const pick = () => ids[rng.intn(n)]!;
  let proposed = 0;
  // With async writes, storage work waits until a random flush, and a restart loses it.
  const deferred = o.config?.asyncStorageWrites === true;
  const setDefer = (on: boolean) => {
    for (const id of ids) nt.node(id).deferStorage = on;
  };
  setDefer(deferred);
  for (const id of ids) nt.node(id).lazyAdvance = o.lazyAdvance === true;
  const readFloor = new Map<string, number>();
  const seenReads = new Map<number, number>();
  const checkReads = () => {
    for (const id of ids) {
      const states = nt.node(id).readStates;
      for (let i = seenReads.get(id) ?? 0; i < states.length; i++) {
        const rs = states[i]!;
        const floor = readFloor.get(new TextDecoder().decode(rs.requestCtx));
        assert(floor !== undefined, "a read state answers no request");
        assert(rs.index >= floor, `seed ${o.seed}: stale read at ${rs.index} < ${floor}`);
      }
      seenReads.set(id, states.length);
    }
  };
  const pickInflight = (k: number) => {
    if (o.reorderPerMille === undefined || rng.intn(1000) < o.reorderPerMille) return rng.intn(k);
    return 0;
  };
  for (let step = 0; step < (o.steps ?? 1500); step++) {
    nt.collect();
    const r = rng.intn(drawMax);
    const k = nt.inflight.length;
    const possible = [k > 0, k > 0, k > 0, deferred, true, true, true, n > 1, n > 1, true];
    let action = -1;
    for (let i = 0, end = 0; i < bands.length; i++) {
      end += bands[i]!;
      if (r < end && possible[i]) {
        action = i;
        break;
      }
    }
    if (action === 0) nt.deliverOne(pickInflight(k));
    else if (action === 1) nt.duplicate(rng.intn(k));
    else if (action === 2) nt.dropOne(rng.intn(k));
    else if (action === 3) {
      for (const m of nt.node(pick()).flushStorage()) nt.enqueue(m);
    } else if (action === 4) nt.node(pick()).node.tick();
    else if (action === 5) {
      try {
        nt.raw(pick()).propose(new TextEncoder().encode(`v${proposed}`));
      } catch (e) {
        if (!isTesseraError(e)) throw e;
      }
      proposed++;
    } else if (action === 6) nt.isolate(pick());
    else if (action === 7) nt.partition(...randomSplit(rng, ids));
    else if (action === 8) {
      const from = pick();
      const to = ids.filter((id) => id !== from)[rng.intn(n - 1)]!;
      nt.cutOneWay(from, to);
    } else if (action === 9) {
      nt.recover();
      loseMessages();
    }
    // Rare actions draw separately, each with its own per-mille chance per step.
    const rare = band(rng.intn(1000), [
      o.restartPerMille ?? 5,
      o.confChangePerMille ?? 0,
      o.readPerMille ?? 0,
      o.compactPerMille ?? 0,
    ]);
    if (rare === 0) {
      const id = pick();
      if (o.restart) o.restart(nt, id);
      else nt.node(id).restart();
      const victim = nt.node(id);
      victim.deferStorage = deferred;
      victim.lazyAdvance = o.lazyAdvance === true;
    } else if (rare === 1) {
      try {
        nt.raw(pick()).proposeConfChange(randomConfChange(rng, ids));
      } catch (e) {
        if (!isTesseraError(e)) throw e;
      }
    } else if (rare === 2) {
      const ctx = `read-${step}`;
      readFloor.set(ctx, Math.max(...ids.map((id) => nt.node(id).node.raft.raftLog.committed)));
      nt.raw(pick()).readIndex(new TextEncoder().encode(ctx));
    } else if (rare === 3) {
      const victim = nt.node(pick());
      if (victim.appliedIndex > victim.storage.snapshot().metadata.index) victim.compact();
    }
    observer?.check();
    nt.checkSafety();
    checkReads();
  }
  nt.recover();
  nt.dropAll();
  setDefer(false);
  for (const id of ids) for (const m of nt.node(id).flushStorage()) nt.enqueue(m);
  for (let round = 0; round < 2000; round++) {
    // A member added after the last snapshot can only catch up from a newer one.
    if (round % 100 === 99) {
      for (const id of ids) {
        const node = nt.node(id);
        if (node.appliedIndex > node.storage.snapshot().metadata.index) node.compact();
      }
    }
    nt.tick(1);
    observer?.check();
    nt.checkSafety();
    const l = nt.leader();
    if (l === undefined) continue;
    const want = nt.node(l).node.raft.raftLog.lastIndex();
    // Only current members must catch up; removed nodes may stay behind.
    const cs = nt.node(l).confState;
    const members = [...cs.voters, ...cs.learners, ...cs.votersOutgoing];
    if (members.every((id) => nt.node(id).appliedIndex === want)) {
      return { network: nt, observer, proposed, applied: nt.node(l).state.length };
    }
  }
  assert(false, `seed ${o.seed}: the cluster did not converge after healing`);
}
