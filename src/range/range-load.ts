/**
 * A range's load as one replica measures it: its span and generation, its
 * keys (exact, from the range's counters), its bytes (estimated from a
 * sample of its records: the mean record size times the keys), its
 * operations per second (load-meter.ts, a sliding window that reading does
 * not disturb) and where it would split. The leader's figures are the
 * range's. A follower's keys and bytes lag by what it has not applied yet,
 * and its ops/s counts only what it served itself (reads at `any`): writes
 * count where they were proposed, on the leader (`Replica.opsTotal`).
 *
 * Measuring reads the replica's state and the meter, and writes nothing, so
 * the planner, TESSERA STATUS and INFO may all measure at any time. The size
 * part (keys, bytes, split key) reads the store, so a `RangeSizes` cache
 * keeps it until the range applies something or changes shape: the planner
 * measures every range every second, and an idle range must cost nothing.
 */
import { keyspaceStats } from "../kv/index.js";
import type { NodeId, RangeId } from "../lib/index.js";
import { middleSplitKey } from "./descriptor.js";
import type { RangeInfo } from "./host-types.js";
import type { LoadMeter } from "./load-meter.js";
import type { Replica } from "./replica.js";

/** Records sampled to estimate a range's bytes. */
export const LOAD_SAMPLE_KEYS = 64;

/** The load of one range as the replica that measured it sees it. */
export interface RangeLoadReport {
  readonly rangeId: RangeId;
  /** The descriptor's generation (bumped by every split and merge). */
  readonly generation: number;
  /** The data span: internal keys, start inclusive, end exclusive. */
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  readonly keys: number;
  readonly bytes: number;
  readonly opsPerSec: number;
  /** Where the range would split; undefined when it cannot (one slot, the meta range). */
  readonly splitKey: Uint8Array | undefined;
  /**
   * The replicas as the measuring replica's applied configuration has them
   * (voters include a joint configuration's outgoing ones), with the term it
   * saw. From a leader this is the range's current membership, fresher than
   * any range cache; a report without it (an older peer) leaves the cache's.
   */
  readonly members?: RangeMembers;
}

export interface RangeMembers {
  readonly term: number;
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/** A replica's role and its range's load, for INFO. */
export interface ReplicaLoadReport extends RangeLoadReport {
  readonly role: RangeInfo["role"];
}

/** The replica's role in its range as this node sees it. */
export function roleOf(r: Replica, nodeId: NodeId): RangeInfo["role"] {
  if (r.raftState === "leader") return "leader";
  if (r.raftState !== "follower") return "candidate";
  return r.confState().learners.includes(nodeId) ? "learner" : "follower";
}

interface RangeSize {
  readonly generation: number;
  readonly appliedIndex: number;
  readonly keys: number;
  readonly bytes: number;
  readonly splitKey: Uint8Array | undefined;
}

/** Each range's size as last measured, valid while its generation and applied index stay. */
export class RangeSizes {
  private readonly sizes = new Map<RangeId, RangeSize>();

  of(r: Replica): RangeSize {
    const generation = r.descriptor.generation;
    const appliedIndex = r.appliedIndex;
    const known = this.sizes.get(r.rangeId);
    if (known?.generation === generation && known.appliedIndex === appliedIndex) return known;
    const size = { generation, appliedIndex, ...measureSize(r) };
    this.sizes.set(r.rangeId, size);
    return size;
  }

  forget(id: RangeId): void {
    this.sizes.delete(id);
  }

  /** Ranges remembered (for tests and bounds). */
  get size(): number {
    return this.sizes.size;
  }
}

function measureSize(r: Replica): Pick<RangeSize, "keys" | "bytes" | "splitKey"> {
  const desc = r.descriptor;
  let keys = 0;
  for (const s of keyspaceStats(r.view)) keys += s.keys;
  let sampled = 0;
  let sampleBytes = 0;
  for (const e of r.view.scan(desc.start, desc.end, LOAD_SAMPLE_KEYS)) {
    sampled++;
    sampleBytes += e.key.length + e.value.length;
  }
  return {
    keys,
    bytes: sampled === 0 ? 0 : Math.round((sampleBytes / sampled) * keys),
    splitKey: middleSplitKey(desc),
  };
}

/** Measures an initialized replica's range (see the file's header). */
export function measureRange(
  r: Replica,
  meter: LoadMeter,
  nowMs: number,
  sizes: RangeSizes = new RangeSizes(),
): RangeLoadReport {
  const desc = r.descriptor;
  const size = sizes.of(r);
  return {
    rangeId: r.rangeId,
    generation: desc.generation,
    start: desc.start,
    end: desc.end,
    keys: size.keys,
    bytes: size.bytes,
    opsPerSec: meter.opsPerSec(
      { rangeId: r.rangeId, generation: desc.generation, opsTotal: r.opsTotal },
      nowMs,
    ),
    splitKey: size.splitKey,
    members: membersOf(r),
  };
}

function membersOf(r: Replica): RangeMembers {
  const c = r.confState();
  return {
    term: r.term,
    voters: [...new Set([...c.voters, ...c.votersOutgoing])].sort((a, b) => a - b),
    learners: [...c.learners].sort((a, b) => a - b),
  };
}
