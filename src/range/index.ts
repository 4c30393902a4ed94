/**
 * The range layer: replicas (one Raft group member per range), the store's
 * scheduler (Ready loop, group commit, ticks), snapshots, request routing and
 * the `KvService` over them. Other folders use it only through this file (and
 * `types.ts` for the service contract).
 *
 * For the layer that composes a node (src/cluster, src/server):
 *
 *   const store = await Store.openLmdb({ dataDir, create: { clusterId, nodeId, nowMs } });
 *   const host = StoreHost.start({ store, nodeId, bus, timers: systemTimers, clock, rng,
 *                                  limits, raftTiming, log, onFatal });
 *   host.setPeerDirectory((id) => respAddressOf(id));   // for status() / INFO
 *   await host.bootstrap([                               // first node of a cluster only
 *     { rangeId: rangeId(1), keyspaces: "system", voters: [nodeId] },
 *     { rangeId: rangeId(2), keyspaces: "user", voters: [nodeId] },
 *   ]);
 *   // a joining node only starts: its replicas are created when a range's
 *   // leader first contacts it, and filled by a snapshot.
 *   await host.changeReplicas(rangeId(2), [{ type: "add-voter", nodeId: n2 }]);
 *   host.service.write(cmd);                             // routed to the range's leader
 *   await host.stop();
 *
 * - `start` registers the bus handlers (`raft` messages, methods `range.*` and
 *   `kv.*`); the bus must already have its identity and peers (`setPeer`) for
 *   the nodes it will talk to.
 * - `bootstrap` is idempotent per range (a range that exists is left alone)
 *   and must run on exactly one node of a new cluster.
 * - `changeReplicas` and `transferLeader` may be called on any node: they are
 *   forwarded to the range's leader. `changeReplicas` resolves once the final
 *   configuration (not a joint one) is applied on the leader; an added voter
 *   is first a learner, promoted once its log caught up with the leader's
 *   commit; more than one voter change goes through joint consensus.
 * - `rangeInfo` reports what this node knows (progress only on the leader).
 * - Routing: keyspace `SYSTEM_KEYSPACE_ID` → range 1, every other → range 2.
 *   Requests with no leader wait up to `leaderWaitMs`, then fail UNAVAILABLE;
 *   a forwarded write whose outcome is unknown fails TIMEOUT (never retried).
 *   Read levels: strong = leader lease, quorum = ReadIndex, any = this node's
 *   replica (works while partitioned), all = every voter at one read point,
 *   replies compared (CORRUPTION naming the divergent nodes otherwise).
 * - Bus names the host uses (do not reuse them): Raft messages (`sendRaft`),
 *   `onUnreachable`, and call methods `range.snapshot`, `range.changeReplicas`,
 *   `range.transferLeader`, `range.split`, `kv.exec`, `kv.readAt`, `kv.wait`.
 * - Without a bus (a single-node cluster), `start` bootstraps the initial
 *   ranges (descriptor.ts) on a new store by itself.
 * - Ranges: each owns a span of internal keys (descriptor.ts); the host keeps
 *   a range cache (directory.ts) filled from its replicas and the meta table
 *   (meta-table.ts), splits ranges on request (`split`), and every range's
 *   leader keeps the meta table's copy of its descriptor current.
 * - The simulator supplies its own `StorageEngine` (`Store.openEngine`),
 *   `Timers`, `Clock`, `Rng` and `Bus`; `knobs` (TestingKnobs) are test-only.
 * - Ranges are bootstrapped after index `BOOTSTRAP_INDEX`, so every replica
 *   added later starts from a snapshot (it holds the configuration).
 */

export { USER_KEY_BYTES_MAX } from "./command-keys.js";
export {
  decodeDescriptor,
  descriptorSpans,
  encodeDescriptor,
  INITIAL_RANGES,
  META_RANGE,
  type RangeDescriptor,
  splitKeyProblem,
} from "./descriptor.js";
export type {
  BootstrapRange,
  HostLogger,
  HostRaftTiming,
  PeerDirectory,
  RangeInfo,
  RangeProgress,
  RangeSpanSpec,
  ReplicaChange,
  StoreHostLimits,
  StoreHostOptions,
  TestingKnobs,
} from "./host-types.js";
export { ReplicatedKvService } from "./kv-service.js";
export type { RangeLoadReport, RangeMembers, ReplicaLoadReport } from "./range-load.js";
export { Replica } from "./replica.js";
export {
  DEFAULT_RAFT_TIMING,
  type RaftTiming,
  type ReplicaLimits,
  type ReplicaOptions,
} from "./replica-options.js";
export { SYSTEM_RANGE_ID, USER_RANGE_ID } from "./routing.js";
export { type SchedulerStats, StoreScheduler } from "./scheduler.js";
export {
  FileSnapshotStaging,
  MemorySnapshotStaging,
  type SnapshotStaging,
} from "./snapshot-staging.js";
export {
  BOOTSTRAP_INDEX,
  BOOTSTRAP_TERM,
  StoreHost,
  type StoreHostStats,
} from "./store-host.js";
export { sleep, systemTimers } from "./system-timers.js";
export { BusRaftTransport, LoneNodeTransport, type RaftTransport } from "./transport.js";
export type {
  KeyspaceStats,
  KvService,
  RangeSummary,
  ReadConsistency,
  ReplicaProgress,
  RouteOptions,
  ServiceStatus,
  WriteResult,
} from "./types.js";
export { READ_CONSISTENCIES } from "./types.js";
