/**
 * How a starting node learns who it is, before its store is opened:
 *
 * - a data directory with a store: its identity (cluster id, node id) is the
 *   node's; `--join` is ignored (and logged), but when seeds are given they
 *   are asked for their cluster id first, and a data directory of another
 *   cluster is refused with a clear error instead of starting;
 * - an empty data directory and no `--join`: a new cluster (random id, node 1);
 * - an empty data directory and `--join`: the seeds admit the node (the meta
 *   leader allocates its id), and the store is created with that identity.
 *
 * The bus is already listening (without an identity), since joining and the
 * seed check are bus calls by address.
 */
import { randomUUID } from "node:crypto";
import {
  type Addresses,
  type ClusterLimits,
  joinCluster,
  type PeerAddress,
  seedClusterId,
} from "../cluster/index.js";
import { type NodeId, nodeId, TesseraError, type Timers } from "../lib/index.js";
import { storeExists } from "../storage/index.js";
import type { TcpBus } from "../transport/index.js";
import type { Logger } from "./logger.js";
import type { NodeConfig } from "./node-config.js";

export type NodeStart =
  | { readonly kind: "restart" }
  | { readonly kind: "bootstrap"; readonly clusterId: string; readonly nodeId: NodeId }
  | {
      readonly kind: "join";
      readonly clusterId: string;
      readonly nodeId: NodeId;
      readonly peers: readonly PeerAddress[];
    };

export async function decideStart(
  config: NodeConfig,
  bus: TcpBus,
  addresses: Addresses,
  limits: ClusterLimits,
  timers: Timers,
  logger: Logger,
): Promise<NodeStart> {
  const seeds = config.join.map(
    (j) => `${j.host.includes(":") ? `[${j.host}]` : j.host}:${j.port}`,
  );
  if (storeExists(config.dataDir)) return { kind: "restart" };
  if (seeds.length === 0) return { kind: "bootstrap", clusterId: randomUUID(), nodeId: nodeId(1) };
  logger.info({ seeds }, "joining a cluster");
  const reply = await joinCluster(
    bus,
    seeds,
    { ...addresses, locality: config.locality },
    limits,
    timers,
    () => performance.now(),
  );
  logger.info({ clusterId: reply.clusterId, nodeId: reply.nodeId }, "admitted to the cluster");
  return {
    kind: "join",
    clusterId: reply.clusterId,
    nodeId: nodeId(reply.nodeId),
    peers: reply.peers,
  };
}

/**
 * A restarting node given seeds: refuses to start when they belong to another
 * cluster than its data directory. Seeds that do not answer are not an error.
 */
export async function checkRestartSeeds(
  config: NodeConfig,
  bus: TcpBus,
  clusterId: string,
  limits: ClusterLimits,
  logger: Logger,
): Promise<void> {
  if (config.join.length === 0) return;
  const seeds = config.join.map((j) => `${j.host}:${j.port}`);
  logger.info({ clusterId, seeds }, "data directory already belongs to a cluster; --join ignored");
  const theirs = await seedClusterId(bus, seeds, limits.joinAttemptTimeoutMs);
  if (theirs !== undefined && theirs !== clusterId) {
    throw new TesseraError(
      "DATA_DIR",
      `data directory ${config.dataDir} belongs to cluster ${clusterId}, but the join seeds are in cluster ${theirs}; ` +
        "to join that cluster, start with an empty data directory",
    );
  }
}
