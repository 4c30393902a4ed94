/**
 * The cluster as `tessera status` and `TESSERA STATUS` show it: every node
 * with its liveness as the meta leader judges it and what it holds (its
 * replicas, the ranges it leads and their keys, bytes and ops/s), and every
 * range with its span, leader, voters, each follower's replication lag (the
 * leader's commit index minus the follower's match index) and its load as
 * its leader measures it (range-load.ts).
 *
 * A figure nobody reported is null, never a guess: a range whose leader did
 * not answer has no load, and a node's sums are null while any range it
 * leads has none (a partial sum would read as a fact).
 */
import { describeSpan, type NodeId, type RangeId } from "../lib/index.js";
import type { RangeLoadReport, RangeSummary } from "../range/index.js";
import type { RangeReplicaInfo } from "./host.js";
import type { NodeRecord } from "./node-record.js";
import type { Liveness } from "./planner/index.js";

/** What a node holds, counted over the ranges of a status. */
export interface NodeHoldings {
  /** Ranges with a voter or learner on the node. */
  readonly replicas: number;
  /** Ranges the node leads. */
  readonly leaders: number;
  /** Sums over the ranges it leads; null while any of them has no known load. */
  readonly keys: number | null;
  readonly bytes: number | null;
  readonly opsPerSec: number | null;
}

export interface NodeStatus extends NodeRecord, NodeHoldings {
  readonly liveness: Liveness;
  readonly silentMs: number;
}

export interface RangeStatus {
  readonly rangeId: RangeId;
  readonly leaderId: NodeId;
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly commitIndex: number;
  readonly replicas: readonly {
    readonly nodeId: NodeId;
    readonly matchIndex: number;
    readonly lag: number;
  }[];
  /** The span in words (lib/span-text.ts); null when neither the leader nor the range cache knows it. */
  readonly span: string | null;
  readonly generation: number | null;
  /** As the leader measured them; null when it did not report. */
  readonly keys: number | null;
  readonly bytes: number | null;
  readonly opsPerSec: number | null;
}

export interface ClusterStatus {
  readonly clusterId: string;
  readonly metaLeader: NodeId;
  readonly nodes: readonly NodeStatus[];
  readonly ranges: readonly RangeStatus[];
}

/** Rates are shown to a hundredth. */
function roundRate(opsPerSec: number): number {
  return Math.round(opsPerSec * 100) / 100;
}

/**
 * One range's status from its leader's view (`info`), its leader's load
 * report and the range cache's entry; the span and generation come from the
 * load report (the leader's own descriptor) when there is one.
 */
export function rangeStatus(
  info: RangeReplicaInfo,
  load: RangeLoadReport | undefined,
  cached: RangeSummary | undefined,
): RangeStatus {
  const bounds = load ?? cached;
  return {
    rangeId: info.rangeId,
    leaderId: info.leaderId,
    voters: info.voters,
    learners: info.learners,
    commitIndex: info.commitIndex,
    replicas: info.progress.map((p) => ({
      nodeId: p.nodeId,
      matchIndex: p.matchIndex,
      lag: Math.max(0, info.commitIndex - p.matchIndex),
    })),
    span: bounds === undefined ? null : describeSpan(bounds.start, bounds.end),
    generation: bounds?.generation ?? null,
    keys: load?.keys ?? null,
    bytes: load?.bytes ?? null,
    opsPerSec: load === undefined ? null : roundRate(load.opsPerSec),
  };
}

/**
 * A range's load as reported by the node `info` names its leader, else by
 * any node that reported it (its leadership moved between the two reads).
 */
export function loadOf(
  byNode: ReadonlyMap<NodeId, ReadonlyMap<number, RangeLoadReport>>,
  info: RangeReplicaInfo,
): RangeLoadReport | undefined {
  const fromLeader = byNode.get(info.leaderId)?.get(info.rangeId);
  if (fromLeader !== undefined) return fromLeader;
  for (const reports of byNode.values()) {
    const l = reports.get(info.rangeId);
    if (l !== undefined) return l;
  }
  return undefined;
}

/** What node `id` holds among `ranges`. */
export function nodeHoldings(id: NodeId, ranges: readonly RangeStatus[]): NodeHoldings {
  let replicas = 0;
  let leaders = 0;
  let keys: number | null = 0;
  let bytes: number | null = 0;
  let opsPerSec: number | null = 0;
  for (const r of ranges) {
    if (r.voters.includes(id) || r.learners.includes(id)) replicas++;
    if (r.leaderId !== id) continue;
    leaders++;
    keys = keys === null || r.keys === null ? null : keys + r.keys;
    bytes = bytes === null || r.bytes === null ? null : bytes + r.bytes;
    opsPerSec = opsPerSec === null || r.opsPerSec === null ? null : opsPerSec + r.opsPerSec;
  }
  return {
    replicas,
    leaders,
    keys,
    bytes,
    opsPerSec: opsPerSec === null ? null : roundRate(opsPerSec),
  };
}
