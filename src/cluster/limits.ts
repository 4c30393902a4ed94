/**
 * The named limits and periods of the cluster layer (STYLE.md rule 4), with
 * their defaults, checked once when a cluster manager starts.
 */
import { TesseraError } from "../lib/index.js";

export interface ClusterLimits {
  /** How often every node pings the meta leader (liveness). */
  readonly pingIntervalMs: number;
  /** How often every node re-reads the node table from range 1 (at `any`). */
  readonly tableRefreshIntervalMs: number;
  /** How often the meta leader looks for ranges short of replicas. */
  readonly replicateIntervalMs: number;
  /** A node silent this long is suspect. */
  readonly suspectAfterMs: number;
  /** A node silent this long is dead. */
  readonly deadAfterMs: number;
  /** How long one join attempt against one seed may take. */
  readonly joinAttemptTimeoutMs: number;
  /** How long a joining node keeps trying its seeds before it gives up. */
  readonly joinTimeoutMs: number;
  /** Deadline of node-to-node cluster calls (ping, status, admin forwarding). */
  readonly clusterCallTimeoutMs: number;
  /** Deadline of one replica change (learner, catch-up by snapshot, promotion). */
  readonly replicaChangeTimeoutMs: number;
  /** Most node ids the node table may hold (tombstones included). */
  readonly nodesMax: number;
}

export const DEFAULT_CLUSTER_LIMITS: ClusterLimits = {
  pingIntervalMs: 1_000,
  tableRefreshIntervalMs: 1_000,
  replicateIntervalMs: 1_000,
  suspectAfterMs: 5_000,
  deadAfterMs: 60_000,
  joinAttemptTimeoutMs: 3_000,
  joinTimeoutMs: 15_000,
  clusterCallTimeoutMs: 5_000,
  replicaChangeTimeoutMs: 120_000,
  nodesMax: 1_000,
};

/** Throws INVALID_ARGUMENT naming the first limit that is not a positive integer or breaks a relation. */
export function checkClusterLimits(limits: ClusterLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new TesseraError(
        "INVALID_ARGUMENT",
        `limit ${name} must be a positive integer, got ${value}`,
      );
    }
  }
  if (limits.pingIntervalMs >= limits.suspectAfterMs) {
    throw new TesseraError("INVALID_ARGUMENT", "pingIntervalMs must be below suspectAfterMs");
  }
  if (limits.suspectAfterMs >= limits.deadAfterMs) {
    throw new TesseraError("INVALID_ARGUMENT", "suspectAfterMs must be below deadAfterMs");
  }
  if (limits.joinAttemptTimeoutMs > limits.joinTimeoutMs) {
    throw new TesseraError(
      "INVALID_ARGUMENT",
      "joinAttemptTimeoutMs must not exceed joinTimeoutMs",
    );
  }
}
