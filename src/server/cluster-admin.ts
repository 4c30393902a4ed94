/**
 * The glue between a node's parts: `clusterHostOf` presents the store host
 * to the cluster layer (its `ClusterHost` contract), `respAdminOf` presents
 * the cluster manager and the bus's fault injection to the RESP server
 * (TESSERA NODE/STATUS, DEBUG FAULT, INFO's cluster and ranges sections), and
 * `respTopologyOf` the nodes and ranges Redis Cluster clients see.
 */
import {
  type Addresses,
  type ClusterHost,
  type ClusterManager,
  formatLocality,
  type RangeReplicaInfo,
} from "../cluster/index.js";
import {
  type Clock,
  describeSpan,
  equalBytes,
  keyspaceId,
  type NodeId,
  nodeId,
  type RangeId,
  slotBoundaryKey,
  TesseraError,
} from "../lib/index.js";
import type { KvService, StoreHost } from "../range/index.js";
import type { BusFaults } from "../transport/index.js";
import {
  REMOVED_NODE_LISTED_MS,
  type RespClusterAdmin,
  type RespClusterNode,
  type RespClusterTopology,
} from "./resp/index.js";

export function clusterHostOf(host: StoreHost): ClusterHost {
  return {
    service: host.service,
    rangeIds: () => host.rangeIds(),
    rangeInfo: (id: RangeId): RangeReplicaInfo | undefined => {
      const info = host.rangeInfo(id);
      if (info === undefined) return undefined;
      return {
        rangeId: info.rangeId,
        leaderId: info.leaderId,
        voters: info.voters,
        learners: info.learners,
        commitIndex: info.commit,
        progress: info.progress
          .filter((p) => p.nodeId !== info.leaderId)
          .map((p) => ({ nodeId: p.nodeId, matchIndex: p.match })),
      };
    },
    transferLeader: (id, to) => host.transferLeader(id, to),
    ranges: () => host.service.ranges(),
    refreshRanges: () => host.refreshDirectory(),
    metaVersion: () => host.metaVersion(),
    rangeLoads: () => host.rangeLoads(),
    split: (id, key) => host.split(id, key),
    merge: (left, right) => host.merge(left, right),
    setPeerCandidates: (candidates) => host.setPeerCandidates(candidates),
    changeReplicas: (id, change, timeoutMs) =>
      withTimeout(
        host.changeReplicas(id, [{ type: change.kind, nodeId: change.nodeId }]),
        timeoutMs,
        `changing the replicas of range ${id}`,
      ),
  };
}

/** Attempts of one TESSERA RANGE SPLIT slot while the range cache catches up. */
const SPLIT_ATTEMPTS_MAX = 20;
/** How long TESSERA RANGE SPLIT waits, at most, for this node's range cache to show its split. */
const SPLIT_LISTED_WAIT_MS = 10_000;

/**
 * Waits until this node's range cache lists range `id` starting at `key`,
 * with its left neighbour ending there, so that TESSERA RANGE LIST on the node
 * that answered a split shows it. The split is applied on the range's leader
 * when it answers; the new range's meta entry is written after it, and this
 * node's replicas (of the range or of the meta range) may apply both a
 * heartbeat later. Bounded: past the wait the split stands and the cache
 * catches up on its own.
 */
async function untilListed(host: StoreHost, key: Uint8Array, id: RangeId): Promise<void> {
  const deadline = Date.now() + SPLIT_LISTED_WAIT_MS;
  for (;;) {
    const table = host.directory.all();
    const i = table.findIndex((e) => e.desc.rangeId === id && equalBytes(e.desc.start, key));
    if (i > 0 && equalBytes(table[i - 1]!.desc.end, key)) return;
    if (Date.now() >= deadline) return;
    await new Promise((r) => setTimeout(r, 25));
    host.directory.invalidate();
    await host.refreshDirectory().catch(() => undefined);
  }
}

export function respAdminOf(
  cluster: ClusterManager,
  faults: BusFaults,
  host: StoreHost,
): RespClusterAdmin {
  return {
    splitAtSlot: async (slot) => {
      const key = slotBoundaryKey(keyspaceId(0), slot);
      // The range cache may lag a split just made (applied on the leader, not
      // yet here): a refusal for a key outside the range is retried on a
      // fresher view. A range held here is known as applied, so the first
      // attempt reloads the meta table only for a range held elsewhere.
      for (let attempt = 0; ; attempt++) {
        const cached = host.directory.lookup(key);
        if (attempt > 0 || cached === undefined || !host.holdsCurrent(cached.desc)) {
          host.directory.invalidate();
          await host.refreshDirectory().catch(() => undefined);
        }
        const owner = host.directory.lookup(key);
        try {
          if (owner === undefined)
            throw new TesseraError("UNAVAILABLE", `no known range holds slot ${slot}; retry`);
          if (equalBytes(owner.desc.start, key)) return owner.desc.rangeId;
          const made = await host.split(owner.desc.rangeId, key, true);
          await untilListed(host, key, made);
          return made;
        } catch (e) {
          const stale =
            (e instanceof TesseraError &&
              (e.code === "UNAVAILABLE" || e.code === "RANGE_MISMATCH")) ||
            (e instanceof TesseraError && /not inside the range/.test(e.message));
          if (!stale || attempt >= SPLIT_ATTEMPTS_MAX) throw e;
          await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
        }
      }
    },
    nodeList: async () => {
      const status = await cluster.status();
      return status.nodes.map(
        (n) =>
          [
            ["id", String(n.id)],
            ["address", n.address],
            ["resp", n.respAddress],
            ["http", n.httpAddress],
            ["locality", formatLocality(n.locality)],
            ["state", n.state],
            ["liveness", n.state === "removed" ? "-" : n.liveness],
          ] as const,
      );
    },
    removeNode: (id) => cluster.remove(nodeId(id)),
    decommissionNode: (id) => cluster.decommission(nodeId(id)),
    statusJson: async () => JSON.stringify(await cluster.status()),
    fault: (args) => applyFault(faults, args),
    respAddressOf: (id) => cluster.nodes().find((r) => r.id === id)?.respAddress,
    infoCluster: () => {
      const members = cluster.nodes().filter((r) => r.state !== "removed");
      return [
        ["tessera_cluster_id", cluster.clusterId],
        ["tessera_node_id", cluster.nodeId],
        ["tessera_meta_leader", cluster.metaLeader()],
        ["tessera_nodes", members.length],
        ...members.map(
          (r) =>
            [
              `tessera_node${r.id}`,
              `address=${r.address},state=${r.state},liveness=${cluster.livenessOf(r.id)}`,
            ] as const,
        ),
      ];
    },
    localRanges: () =>
      host.replicaLoads().map((l) => ({
        rangeId: l.rangeId,
        role: l.role,
        span: describeSpan(l.start, l.end),
        keys: l.keys,
        bytes: l.bytes,
        opsPerSec: l.opsPerSec,
      })),
  };
}

/**
 * The topology of CLUSTER SLOTS|SHARDS|NODES: the node table as last read
 * here, with liveness as the meta leader judged it, and the service's ranges.
 * Until this node has read its own record (a node that has just bootstrapped
 * or joined), it describes itself from its own addresses, so a single node
 * always shows at least itself leading its ranges.
 */
export function respTopologyOf(
  cluster: ClusterManager,
  service: KvService,
  self: () => Addresses,
  clock: Clock,
): RespClusterTopology {
  return {
    clusterId: () => cluster.clusterId,
    myId: () => cluster.nodeId,
    nodes: () => {
      const now = clock.nowMs();
      const nodes: RespClusterNode[] = cluster.nodes().map((r) => ({
        id: r.id,
        respAddress: r.respAddress,
        busAddress: r.address,
        state: r.state,
        liveness: cluster.livenessOf(r.id),
        leaving:
          r.state === "removed" &&
          r.removedAtMs !== undefined &&
          now - r.removedAtMs < REMOVED_NODE_LISTED_MS,
      }));
      if (nodes.some((n) => n.id === cluster.nodeId)) return nodes;
      const { address, respAddress } = self();
      const me: RespClusterNode = {
        id: cluster.nodeId,
        respAddress,
        busAddress: address,
        state: "active",
        liveness: "live",
      };
      return [...nodes, me].sort((a, b) => a.id - b.id);
    },
    ranges: () => service.ranges(),
  };
}

/** DEBUG FAULT DELAY <ms> [node…] | DROP <pct> [node…] | PARTITION node… | HEAL | STATUS. */
export function applyFault(faults: BusFaults, args: readonly string[]): string {
  try {
    return applyFaultUnchecked(faults, args);
  } catch (e) {
    if (e instanceof TesseraError && /disabled/.test(e.message)) {
      throw new TesseraError(
        e.code,
        "fault injection is disabled on this node (start it with --enable-fault-injection)",
      );
    }
    throw e;
  }
}

function applyFaultUnchecked(faults: BusFaults, args: readonly string[]): string {
  const [sub = "", ...rest] = args;
  const nodes = (words: readonly string[]): NodeId[] =>
    words.map((w) => {
      const n = Number(w);
      if (!Number.isSafeInteger(n) || n <= 0)
        throw new TesseraError("INVALID_ARGUMENT", `'${w}' is not a node id`);
      return nodeId(n);
    });
  const number = (w: string | undefined, what: string): number => {
    const n = Number(w);
    if (w === undefined || !Number.isFinite(n))
      throw new TesseraError("INVALID_ARGUMENT", `${what} must be a number`);
    return n;
  };
  switch (sub.toUpperCase()) {
    case "DELAY":
      faults.delay(nodes(rest.slice(1)), number(rest[0], "delay ms"));
      break;
    case "DROP":
      faults.drop(nodes(rest.slice(1)), number(rest[0], "drop percent"));
      break;
    case "PARTITION":
      if (rest.length === 0)
        throw new TesseraError("INVALID_ARGUMENT", "PARTITION needs at least one node id");
      faults.partition(nodes(rest));
      break;
    case "HEAL":
      faults.heal();
      break;
    case "STATUS":
      return faults.describe();
    default:
      throw new TesseraError("INVALID_ARGUMENT", "DEBUG FAULT DELAY|DROP|PARTITION|HEAL|STATUS");
  }
  return faults.describe();
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TesseraError("TIMEOUT", `${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer)) as Promise<T>;
}
