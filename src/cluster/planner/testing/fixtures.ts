/**
 * Builders for planner tests: nodes, ranges tiling a key space, settings.
 * Plain data, no randomness; the property tests draw their own.
 */
import { type NodeId, nodeId, type RangeId, rangeId } from "../../../lib/index.js";
import type { NodeState } from "../../node-record.js";
import { DEFAULT_PLANNER_SETTINGS } from "../settings.js";
import type { Liveness, NodeView, PlannedRange, PlannerSettings, RangeLoad } from "../types.js";

export interface NodeOptions {
  readonly liveness?: Liveness;
  readonly state?: NodeState;
  readonly locality?: Readonly<Record<string, string>>;
}

export function node(id: number, o: NodeOptions = {}): NodeView {
  return {
    record: {
      id: nodeId(id),
      address: `127.0.0.1:${17000 + id}`,
      respAddress: `127.0.0.1:${7000 + id}`,
      httpAddress: `127.0.0.1:${8000 + id}`,
      locality: o.locality ?? {},
      state: o.state ?? "active",
      joinedAtMs: 0,
    },
    liveness: o.liveness ?? "live",
  };
}

/** Nodes 1..count, all live and active. */
export function nodes(count: number, o: NodeOptions = {}): NodeView[] {
  return Array.from({ length: count }, (_, i) => node(i + 1, o));
}

/** A four-byte big-endian key: keyAt(i) < keyAt(j) when i < j. */
export function keyAt(i: number): Uint8Array {
  return Uint8Array.of((i >>> 24) & 0xff, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff);
}

export interface RangeOptions {
  readonly learners?: readonly number[];
  readonly leaderId?: number;
  readonly start?: Uint8Array;
  readonly end?: Uint8Array;
  readonly keyspace?: number | undefined;
  readonly load?: RangeLoad | undefined;
  readonly splitKey?: Uint8Array | undefined;
  readonly splittable?: boolean;
}

/**
 * Range `id` over [keyAt(id * 1000), keyAt(id * 1000 + 1000)) in keyspace 1,
 * led by its first voter, load unknown, no split key: neighbours by id are
 * neighbours in key order.
 */
export function range(id: number, voters: readonly number[], o: RangeOptions = {}): PlannedRange {
  return {
    rangeId: rangeId(id) as RangeId,
    voters: voters.map((v) => nodeId(v) as NodeId),
    learners: (o.learners ?? []).map((v) => nodeId(v) as NodeId),
    leaderId: nodeId(o.leaderId ?? voters[0] ?? 0),
    start: o.start ?? keyAt(id * 1000),
    end: o.end ?? keyAt(id * 1000 + 1000),
    keyspace: "keyspace" in o ? o.keyspace : 1,
    load: o.load,
    splitKey: o.splitKey,
    splittable: o.splittable ?? id !== 1,
  };
}

/** Ranges 1..count, each on `voters(i)`. */
export function ranges(count: number, voters: (i: number) => readonly number[]): PlannedRange[] {
  return Array.from({ length: count }, (_, i) => range(i + 1, voters(i + 1)));
}

export function settings(over: Partial<PlannerSettings> = {}): PlannerSettings {
  return { ...DEFAULT_PLANNER_SETTINGS, ...over };
}

export const load = (keys: number, bytes: number, opsPerSec: number): RangeLoad => ({
  keys,
  bytes,
  opsPerSec,
});
