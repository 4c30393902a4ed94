/**
 * Reads and writes of cluster metadata through the node's `KvService`: every
 * call becomes a kv command on the system keyspace, routed to range 1 (the
 * meta range) like any client command, so metadata is Raft-replicated with no
 * state machine of its own. Writes are serialized by the caller (the meta
 * leader's admin queue, cluster-manager.ts); allocation uses INCR, so even a
 * race could not hand one id out twice.
 */
import type { KeyspaceId, NodeId } from "../lib/index.js";
import { nodeId, TesseraError } from "../lib/index.js";
import type { KvService, ReadConsistency } from "../range/index.js";
import {
  allocateNodeIdCommand,
  getClusterIdCommand,
  getNextNodeIdCommand,
  getNodesCommand,
  putNodeCommand,
  replyInteger,
  replyNodes,
  replyString,
  setClusterIdCommand,
} from "./meta-keys.js";
import type { NodeRecord } from "./node-record.js";

export class MetaStore {
  constructor(
    private readonly service: KvService,
    private readonly ks: KeyspaceId,
    private readonly nodesMax: number,
  ) {}

  async clusterId(consistency: ReadConsistency): Promise<string | undefined> {
    const reply = await this.service.read(getClusterIdCommand(this.ks), consistency);
    return replyString(reply, "cluster id");
  }

  /** Writes the cluster id unless one is there; returns the one that is. */
  async initClusterId(clusterId: string): Promise<string> {
    await this.service.write(setClusterIdCommand(this.ks, clusterId));
    return (await this.clusterId("strong")) ?? clusterId;
  }

  /** Ids handed out so far (the next one is this + 1). */
  async allocatedIds(consistency: ReadConsistency): Promise<number> {
    return replyInteger(
      await this.service.read(getNextNodeIdCommand(this.ks), consistency),
      "next node id",
    );
  }

  /** A new node id, committed through Raft: never handed out before, never again. */
  async allocateNodeId(): Promise<NodeId> {
    const allocated = await this.allocatedIds("strong");
    if (allocated >= this.nodesMax) {
      throw new TesseraError(
        "LIMIT_EXCEEDED",
        `the node table holds ${allocated} ids (nodesMax ${this.nodesMax})`,
      );
    }
    const { reply } = await this.service.write(allocateNodeIdCommand(this.ks));
    return nodeId(replyInteger(reply, "node id allocation"));
  }

  /** Every node record, tombstones included, in id order. */
  async nodes(consistency: ReadConsistency): Promise<NodeRecord[]> {
    const count = Math.min(await this.allocatedIds(consistency), this.nodesMax);
    if (count === 0) return [];
    return replyNodes(await this.service.read(getNodesCommand(this.ks, count), consistency));
  }

  async putNode(record: NodeRecord): Promise<void> {
    const { reply } = await this.service.write(putNodeCommand(this.ks, record));
    if (reply.t === "error") {
      throw new TesseraError(reply.code, `writing node ${record.id}: ${reply.message}`);
    }
  }
}
