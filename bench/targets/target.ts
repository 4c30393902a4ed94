/**
 * A target is one system the suite can measure (Tessera single node, Redis
 * durable, Redis Cluster, etcd, …). A target knows whether it can run on this
 * machine, and starts a `System`: one or more server processes on loopback,
 * on free ports, with fresh data directories, that the workloads drive and
 * that `close()` stops and removes. A 3-node Tessera cluster is one more
 * target; workloads never special-case a system, only its protocol and
 * topology.
 */
import type { Endpoint } from "../loadgen/resp-load-spec.js";
import type { NodeProcess } from "./node-process.js";
import type { RangeRow } from "./tessera-admin.js";

/** How a workload talks to a system. */
export type Protocol = "resp" | "etcd-http";

export interface System {
  readonly target: string;
  readonly protocol: Protocol;
  readonly nodes: readonly NodeProcess[];
  /** Slot → node index for a sharded RESP system (Redis Cluster semantics); null otherwise. */
  readonly slotOwner: readonly number[] | null;
  /** Where load goes: RESP ports or etcd client URLs. */
  endpoints(): Endpoint[];
  /**
   * For replicated systems: index (in `nodes`) of the node currently leading
   * writes for `key`, and a probe that tries one write through the node at
   * `via` and says whether it succeeded. Absent when the system does not fail
   * over (single nodes, Redis Cluster without replicas).
   */
  readonly failover?: FailoverHooks;
  /** For a cluster of many ranges (the scale group): its range table and membership. */
  readonly sharding?: ShardingHooks;
  /** Stops every process and removes the data directories. */
  close(): Promise<void>;
}

export interface FailoverHooks {
  leaderIndex(key: string): Promise<number>;
  tryWrite(via: number, key: string, timeoutMs: number): Promise<boolean>;
  /** Resolves once every node is back and the system is healthy again. */
  waitHealthy(timeoutMs: number): Promise<void>;
}

export interface ShardingHooks {
  /** Re-reads the slot owners from CLUSTER SLOTS (the cluster moves leaders on its own). */
  refreshSlotOwner(): Promise<void>;
  /** Every range, as a voter that knows its leader describes it. */
  ranges(): Promise<RangeRow[]>;
  /** Resolves once every range has its voters, no learner and a leader. */
  waitHealthy(timeoutMs: number): Promise<unknown>;
  /** The cluster's id of `nodes[index]`. */
  nodeId(index: number): Promise<number>;
  /** Starts a node that joins the cluster; resolves with its index in `nodes`. */
  addNode(): Promise<number>;
  /**
   * Decommissions `nodes[index]` (its replicas move first), then stops its
   * process; resolves with the refusals ("retry") it retried.
   */
  decommission(index: number, timeoutMs: number): Promise<string[]>;
}

export interface Target {
  /** Stable name used in `--targets`, tables and the JSON. */
  readonly name: string;
  /** One line for the report: what this system is and how it is configured. */
  readonly description: string;
  readonly protocol: Protocol;
  readonly nodeCount: number;
  /** Every acknowledged write has been fsynced (and, on clusters, replicated). */
  readonly durable: boolean;
  /** null when the target can run here; otherwise why it is skipped and how to fix that. */
  check(): Promise<string | null>;
  start(): Promise<System>;
}

export const INSTALL_HINT =
  "install with: apt-get install redis-server redis-tools etcd-server etcd-client";
