/**
 * How a Tessera cluster looks to a Redis Cluster client: a pure function of
 * the topology (the member nodes and the range table) that CLUSTER SLOTS,
 * SHARDS, NODES and INFO render.
 *
 * Redis gives every slot one master and its replicas; Tessera gives every
 * range a Raft group, and one node leads some ranges while following others.
 * The mapping (DESIGN.md §2, "CLUSTER SLOTS is a direct view of the range
 * table"):
 * - only keyspace 0 (Redis's db 0) has slots; a range's slots are
 *   `slotsOfSpan` of its span;
 * - a slot's master (its *owner*) is the leader of its range, or the range's
 *   first voter while no leader is known; its replicas are the other voters
 *   (learners are still catching up, as a Redis replica that is loading);
 * - consecutive slots with the same owner and replicas form one interval, as
 *   Redis groups slots by node;
 * - every member node is a master, of the slots it owns (possibly none).
 *
 * Invariant: intervals are disjoint and in slot order; a slot belongs to at
 * most one (if two ranges of a stale range cache claim it, the later wins).
 */
import { keyspaceId, SLOT_COUNT, slotsOfSpan } from "../../lib/index.js";
import type { RangeSummary } from "../../range/types.js";
import type { RespClusterNode, RespClusterTopology } from "./options.js";

/** Redis Cluster has one database; Tessera's keyspace 0 is it. */
export const CLUSTER_KEYSPACE = keyspaceId(0);

export interface SlotInterval {
  /** First slot, inclusive. */
  readonly first: number;
  /** Last slot, inclusive (Redis's convention in every reply). */
  readonly last: number;
  /** The node serving the slots as master: the leader, or the first voter. */
  readonly owner: number;
  /** The owner is the leader (not a voter standing in for an unknown leader). */
  readonly leaderKnown: boolean;
  /** The other voters, in id order. */
  readonly replicas: readonly number[];
  /** The highest generation of the ranges in the interval. */
  readonly generation: number;
}

export interface NodeAddress {
  readonly host: string;
  /** 0 when unknown. */
  readonly port: number;
}

export interface ClusterView {
  readonly clusterId: string;
  readonly myId: number;
  /** Member nodes (not removed), in id order. */
  readonly nodes: readonly RespClusterNode[];
  /** Removed nodes still `leaving` (see `REMOVED_NODE_LISTED_MS`), in id order. */
  readonly leaving: readonly RespClusterNode[];
  readonly intervals: readonly SlotInterval[];
  /** Redis's cluster_current_epoch: the highest generation of any range, at least 1. */
  readonly currentEpoch: number;
}

/** host:port or [v6]:port → its parts; anything else is an unknown address ("", 0). */
export function splitHostPort(address: string): NodeAddress {
  const m = /^(?:\[([^\]]*)\]|([^[\]]*)):(\d{1,5})$/.exec(address);
  if (m === null) return { host: "", port: 0 };
  return { host: (m[1] ?? m[2]) as string, port: Number(m[3]) };
}

/** The node that serves a range's slots as master; 0 when it has no voter at all. */
export function ownerOf(range: RangeSummary): number {
  return range.leaderId !== 0 ? range.leaderId : (range.voters[0] ?? 0);
}

function sameInterval(r: RangeSummary, s: RangeSummary): boolean {
  return (
    ownerOf(r) === ownerOf(s) &&
    (r.leaderId !== 0) === (s.leaderId !== 0) &&
    replicasOf(r).join(",") === replicasOf(s).join(",")
  );
}

function replicasOf(r: RangeSummary): number[] {
  const owner = ownerOf(r);
  return r.voters.filter((v) => v !== owner);
}

/**
 * The slot intervals of keyspace 0 (see the file comment). Slots this node's
 * range cache cannot place (a range whose members it has not learned yet, or
 * a moment between a merge and the meta table's catching up) are served by
 * `standIn` when given (the answering node, which forwards), so that every
 * slot is always covered exactly once.
 */
export function slotIntervals(ranges: readonly RangeSummary[], standIn?: number): SlotInterval[] {
  // Redis's own shape: a table from slot to holder, then runs of equal holders.
  const holder: (RangeSummary | undefined)[] = new Array(SLOT_COUNT).fill(undefined);
  for (const r of ranges) {
    if (ownerOf(r) === 0) continue;
    const slots = slotsOfSpan(CLUSTER_KEYSPACE, r.start, r.end);
    if (slots === undefined) continue;
    holder.fill(r, slots.slotStart, slots.slotEnd);
  }
  if (standIn !== undefined && standIn !== 0) {
    let fallback: RangeSummary | undefined;
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      if (holder[slot] !== undefined) continue;
      // Not the leader (leaderKnown stays false): a stand-in that forwards.
      fallback ??= {
        rangeId: 0,
        start: new Uint8Array(0),
        end: new Uint8Array(0),
        generation: 0,
        leaderId: 0,
        voters: [standIn],
        learners: [],
      };
      holder[slot] = fallback;
    }
  }
  const out: SlotInterval[] = [];
  let first = 0;
  for (let slot = 1; slot <= SLOT_COUNT; slot++) {
    const run = holder[first];
    const next = slot < SLOT_COUNT ? holder[slot] : undefined;
    if (
      slot < SLOT_COUNT &&
      (next === run || (next !== undefined && run !== undefined && sameInterval(run, next)))
    ) {
      continue;
    }
    if (run !== undefined) {
      let generation = 0;
      for (let s = first; s < slot; s++)
        generation = Math.max(generation, holder[s]?.generation ?? 0);
      out.push({
        first,
        last: slot - 1,
        owner: ownerOf(run),
        leaderKnown: run.leaderId !== 0,
        replicas: replicasOf(run),
        generation,
      });
    }
    first = slot;
  }
  return out;
}

/** The slots `nodeId` owns, as [first, last] pairs with contiguous intervals merged. */
export function ownedSlots(
  intervals: readonly SlotInterval[],
  nodeId: number,
): (readonly [number, number])[] {
  const out: [number, number][] = [];
  for (const i of intervals) {
    if (i.owner !== nodeId) continue;
    const prev = out[out.length - 1];
    if (prev !== undefined && prev[1] + 1 === i.first) prev[1] = i.last;
    else out.push([i.first, i.last]);
  }
  return out;
}

/** A node's config epoch: the highest generation of the slots it owns, 0 when none. */
export function nodeEpoch(intervals: readonly SlotInterval[], nodeId: number): number {
  let epoch = 0;
  for (const i of intervals) if (i.owner === nodeId) epoch = Math.max(epoch, i.generation);
  return epoch;
}

/**
 * How long CLUSTER SLOTS keeps naming a node after its removal. A Redis
 * Cluster client closes its connection to a node the slot map no longer names
 * and sends again what was in flight on it (ioredis does so on "Connection is
 * closed."). A node that is taken out may still be answering commands it took
 * as a range's leader, or forwarded for a connection that never asked for the
 * slot map (ioredis fetches it on a connection of its own, so its data
 * connections are served by forwarding in `auto` mode): were it to vanish from
 * the map at once, such a write would be applied twice. A write waits at most
 * the proposal timeout (10 s by default), and the node stops itself, answering
 * what it owes first, once it learns it was removed; twice that timeout covers
 * both. The node is listed as a replica only, so no command is routed to it.
 */
export const REMOVED_NODE_LISTED_MS = 20_000;

export function clusterViewOf(topology: RespClusterTopology): ClusterView {
  const all = [...topology.nodes()].sort((a, b) => a.id - b.id);
  const nodes = all.filter((n) => n.state !== "removed");
  const leaving = all.filter((n) => n.state === "removed" && n.leaving === true);
  const reachable = new Set(
    nodes.filter((n) => splitHostPort(n.respAddress).port !== 0).map((n) => n.id),
  );
  // A live master this node cannot name an address for yet (it, or this
  // node, joined moments ago) is not offered to clients: a voter they can
  // reach serves instead, else this node or any node with an address (each
  // forwards), so every slot always names a master clients can reach.
  const dead = new Set(nodes.filter((n) => n.liveness === "dead").map((n) => n.id));
  const myId = topology.myId();
  const standIn = reachable.has(myId) ? myId : (nodes.find((n) => reachable.has(n.id))?.id ?? 0);
  const ranges = topology.ranges().map((r) => {
    const owner = ownerOf(r);
    // A dead master stays: clients must see its slots fail, as Redis shows them.
    if (owner !== 0 && (reachable.has(owner) || dead.has(owner))) return r;
    const stand = r.voters.find((v) => reachable.has(v)) ?? standIn;
    if (stand === 0) return r;
    if (r.leaderId !== 0) return { ...r, leaderId: stand };
    return { ...r, voters: [stand, ...r.voters.filter((v) => v !== stand)] };
  });
  return {
    clusterId: topology.clusterId(),
    myId,
    nodes,
    leaving,
    intervals: slotIntervals(ranges, standIn),
    currentEpoch: ranges.reduce((max, r) => Math.max(max, r.generation), 1),
  };
}

/** One [field, value] list per range, for TESSERA RANGE LIST and `tessera status`. */
export function describeRanges(
  ranges: readonly RangeSummary[],
): (readonly (readonly [string, string])[])[] {
  return ranges.map((r) => {
    const slots = slotsOfSpan(CLUSTER_KEYSPACE, r.start, r.end);
    return [
      ["id", String(r.rangeId)],
      ["slots", slots ? `${slots.slotStart}-${slots.slotEnd - 1}` : "-"],
      ["start", Buffer.from(r.start).toString("hex")],
      ["end", Buffer.from(r.end).toString("hex")],
      ["generation", String(r.generation)],
      ["leader", String(r.leaderId)],
      ["voters", r.voters.join(",")],
      ["learners", r.learners.join(",")],
    ] as const;
  });
}
