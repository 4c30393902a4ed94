/**
 * Redis node ids for Tessera nodes: Redis Cluster names every node by 40
 * lowercase hex characters (`CLUSTER_NAMELEN`), which clients use as map keys
 * and compare across CLUSTER SLOTS, SHARDS and NODES. Tessera names nodes by
 * small integers, so the Redis id is derived, here and nowhere else: the
 * SHA-1 of the cluster id and the node id. It is therefore the same on every
 * node and across restarts, and two clusters never share one.
 *
 * A node's shard id (CLUSTER MYSHARDID) is derived the same way: each node is
 * presented as the master of its own shard (see cluster-view.ts).
 */
import { createHash } from "node:crypto";

/** Characters of a Redis node id (Redis's CLUSTER_NAMELEN). */
export const REDIS_NODE_ID_CHARS = 40;

function sha1Hex(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

/** The Redis node id of Tessera node `nodeId` of cluster `clusterId`. */
export function redisNodeId(clusterId: string, nodeId: number): string {
  return sha1Hex(`tessera-node:${clusterId}:${nodeId}`);
}

/** The Redis shard id of the shard node `nodeId` is master of. */
export function redisShardId(clusterId: string, nodeId: number): string {
  return sha1Hex(`tessera-shard:${clusterId}:${nodeId}`);
}
