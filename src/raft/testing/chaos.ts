/**
 * A seeded chaos run over the in-memory network: random ticks, proposals,
 * reordered, duplicated and dropped messages, partitions and restarts, with
 * the network's safety checks after every step, then a healing phase that
 * must end with every node applying the same history (liveness once the
 * network is good). Reusable by longer randomized suites.
 */
import { assert, isTesseraError, nodeId, SeededRng } from "../../lib/index.js";
import type { ConfChange, ConfChangeSingle, ConfChangeType } from "../types.js";
import { Network, type NodeConfig } from "./network.js";

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

export interface ChaosResult {
  readonly network: Network;
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
  for (let step = 0; step < (o.steps ?? 1500); step++) {
    nt.collect();
    const r = rng.intn(1000);
    const k = nt.inflight.length;
    if (r < 400 && k > 0) nt.deliverOne(rng.intn(k));
    else if (r < 440 && k > 0) nt.duplicate(rng.intn(k));
    else if (r < 500 && k > 0) nt.dropOne(rng.intn(k));
    else if (deferred && r < 600) {
      for (const m of nt.node(pick()).flushStorage()) nt.inflight.push(m);
    } else if (r < 800) nt.node(pick()).node.tick();
    else if (r < 900) {
      try {
        nt.raw(pick()).propose(new TextEncoder().encode(`v${proposed}`));
      } catch (e) {
        if (!isTesseraError(e)) throw e;
      }
      proposed++;
    } else if (r < 915) nt.isolate(pick());
    else if (r < 940) nt.recover();
    // Rare actions draw separately, each with its own per-mille chance per step.
    const rare = band(rng.intn(1000), [
      o.restartPerMille ?? 5,
      o.confChangePerMille ?? 0,
      o.readPerMille ?? 0,
      o.compactPerMille ?? 0,
    ]);
    if (rare === 0) {
      const victim = nt.node(pick());
      victim.restart();
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
    nt.checkSafety();
    checkReads();
  }
  nt.recover();
  nt.dropAll();
  setDefer(false);
  for (const id of ids) nt.inflight.push(...nt.node(id).flushStorage());
  for (let round = 0; round < 2000; round++) {
    // A member added after the last snapshot can only catch up from a newer one.
    if (round % 100 === 99) {
      for (const id of ids) {
        const node = nt.node(id);
        if (node.appliedIndex > node.storage.snapshot().metadata.index) node.compact();
      }
    }
    nt.tick(1);
    nt.checkSafety();
    const l = nt.leader();
    if (l === undefined) continue;
    const want = nt.node(l).node.raft.raftLog.lastIndex();
    // Only current members must catch up; removed nodes may stay behind.
    const cs = nt.node(l).confState;
    const members = [...cs.voters, ...cs.learners, ...cs.votersOutgoing];
    if (members.every((id) => nt.node(id).appliedIndex === want)) {
      return { network: nt, proposed, applied: nt.node(l).state.length };
    }
  }
  assert(false, `seed ${o.seed}: the cluster did not converge after healing`);
}
