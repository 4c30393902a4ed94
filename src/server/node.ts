/**
 * The composition root of a Tessera node: `startNode(config)` listens on the
 * bus port (`TcpBus`), decides who the node is (node-identity.ts: restart,
 * bootstrap a new cluster, or join one through seeds), opens the store with
 * that identity, starts the store host (its replicas, routing and Raft over
 * the bus) and the cluster manager (membership, liveness, up-replication),
 * then serves HTTP and the Redis protocol. It resolves once the node is ready
 * (it has joined and range 2 has a leader) and logs one JSON line with msg
 * "ready", its node id and the ports bound.
 *
 * `stop()` shuts down gracefully: readiness goes false, the RESP server stops
 * accepting and lets clients take the replies they are owed, the cluster
 * loops stop, in-flight writes finish (up to `shutdownDrainMs`), the bus
 * closes and the store closes. A failure of the store while running, or the
 * news that this node was removed from its cluster, is fatal: it is logged
 * and reported to `onFatal` (the `tessera` command exits non-zero).
 */

import { randomBytes } from "node:crypto";
import { join } from "node:path";
import {
  type Addresses,
  type ClusterLimits,
  ClusterManager,
  checkClusterLimits,
  DEFAULT_CLUSTER_LIMITS,
} from "../cluster/index.js";
import {
  type Clock,
  type NodeId,
  rangeId,
  SeededRng,
  SYSTEM_KEYSPACE_ID,
  TesseraError,
} from "../lib/index.js";
import { FileSnapshotStaging, StoreHost, systemTimers } from "../range/index.js";
import { Store } from "../storage/index.js";
import { DEFAULT_BUS_LIMITS, formatAddress, TcpBus } from "../transport/index.js";
import { clusterHostOf, respAdminOf, respTopologyOf } from "./cluster-admin.js";
import { HttpServer } from "./http-server.js";
import { checkNodeLimits } from "./limits.js";
import { createLogger, type Logger } from "./logger.js";
import { LoopWatch } from "./loop-watch.js";
import { renderMetrics } from "./metrics.js";
import type { NodeConfig } from "./node-config.js";
import { NodeConfigStore } from "./node-config-store.js";
import { checkRestartSeeds, decideStart } from "./node-identity.js";
import { loadPeers, savePeers } from "./peers-file.js";
import { DEFAULT_RESP_LIMITS, RespServer, type RespServerStats } from "./resp/index.js";
import { TESSERA_VERSION } from "./version.js";

export interface StartNodeOptions {
  /** Default: pino JSON to stdout at `config.logLevel`. */
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** How long to wait for the node to be ready (default 60 s). */
  readonly readyTimeoutMs?: number;
  /** How long `stop()` lets in-flight writes finish (default 5 s). */
  readonly shutdownDrainMs?: number;
  /** Milliseconds per Raft tick (default RAFT_TICK_MS). */
  readonly tickMs?: number;
  readonly clusterLimits?: ClusterLimits;
  /** The node cannot go on (its store failed, or it was removed). Default: log only. */
  readonly onFatal?: (error: unknown) => void;
}

export interface RunningNode {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly respPort: number;
  readonly httpPort: number;
  readonly busPort: number;
  readonly dataDir: string;
  /** Graceful shutdown; idempotent. */
  stop(): Promise<void>;
}

const SYSTEM_CLOCK: Clock = { nowMs: () => Date.now(), monotonicMs: () => performance.now() };
const READY_TIMEOUT_MS = 60_000;
const SHUTDOWN_DRAIN_MS = 5_000;
/** Under the data directory: snapshots being received (scratch, emptied at start). */
export const SNAPSHOT_STAGING_DIR = "snapshots-incoming";
/**
 * Raft timing of every range: a 50 ms tick, heartbeats every tick and an
 * election timeout of 20 ticks (randomized to 1–2 s, etcd's default), so a
 * lost leader is replaced within about two seconds. Not shorter: a node's
 * event loop stalls now and then (a major garbage collection, more so on a
 * node short of CPU; 250–510 ms were measured with each node held to half a
 * core under a saturating load), and with 500–1000 ms such a stall made the
 * followers of every range the node led elect others, node after node.
 */
const RAFT_TICK_MS = 50;
const RAFT_ELECTION_TICKS = 20;
const RAFT_HEARTBEAT_TICKS = 1;
/** How long a restarted node asks the meta leader whether it is still a member. */
const MEMBERSHIP_CHECK_MS = 3_000;
const READY_POLL_MS = 20;
/** Ranges of a new cluster: the system keyspace and every user keyspace. */
const META_RANGE = rangeId(1);
const DATA_RANGE = rangeId(2);
const NO_RESP_STATS: RespServerStats = {
  connectedClients: 0,
  connectionsTotal: 0,
  rejectedConnectionsTotal: 0,
  commandsTotal: 0,
  errorRepliesTotal: 0,
  protocolErrorsTotal: 0,
  netInputBytesTotal: 0,
  netOutputBytesTotal: 0,
};

export async function startNode(
  config: NodeConfig,
  options: StartNodeOptions = {},
): Promise<RunningNode> {
  checkNodeLimits(config.limits);
  const baseLimits = options.clusterLimits ?? DEFAULT_CLUSTER_LIMITS;
  const deadAfterMs = config.deadAfterMs ?? baseLimits.deadAfterMs;
  const clusterLimits = {
    ...baseLimits,
    deadAfterMs,
    // A short dead-after (drills, tests) brings suspicion forward with it.
    suspectAfterMs: Math.min(
      baseLimits.suspectAfterMs,
      Math.max(baseLimits.pingIntervalMs + 1, Math.floor(deadAfterMs / 2)),
    ),
  };
  checkClusterLimits(clusterLimits);
  if (!Number.isSafeInteger(config.replicationFactor) || config.replicationFactor < 1) {
    throw new TesseraError("INVALID_ARGUMENT", "replication factor must be a positive integer");
  }
  const rootLogger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? SYSTEM_CLOCK;
  const cleanup: (() => Promise<void>)[] = [];
  let logger = rootLogger;
  let stopping = false;
  let fatal = false;
  const onFatal = (error: unknown, message: string) => {
    if (fatal || stopping) return;
    fatal = true;
    logger.fatal({ err: error }, message);
    options.onFatal?.(error);
  };
  try {
    const bus = await TcpBus.listen({
      host: config.bind,
      port: config.busPort,
      clusterId: "",
      nodeId: 0 as NodeId,
      limits: DEFAULT_BUS_LIMITS,
      logger: rootLogger,
      faultsEnabled: config.faultInjection,
    });
    cleanup.unshift(() => bus.close());
    let respPort = config.port;
    let httpPort = config.httpPort;
    const addresses = (): Addresses => ({
      address: bus.advertiseAddress,
      respAddress: formatAddress(advertiseHost(config.bind), respPort),
      httpAddress: formatAddress(advertiseHost(config.bind), httpPort),
    });

    const start = await decideStart(
      config,
      bus,
      addresses(),
      clusterLimits,
      systemTimers,
      rootLogger,
    );
    const store = await Store.openLmdb({
      dataDir: config.dataDir,
      create:
        start.kind === "restart"
          ? { clusterId: "", nodeId: 1 as NodeId, nowMs: clock.nowMs() }
          : { clusterId: start.clusterId, nodeId: start.nodeId, nowMs: clock.nowMs() },
    });
    cleanup.push(() => store.close());
    const { clusterId, nodeId: self } = store.identity;
    if (clusterId === "") {
      throw new TesseraError(
        "DATA_DIR",
        `data directory ${config.dataDir} holds an incomplete store; remove it`,
      );
    }
    logger = rootLogger.child({ nodeId: self });
    if (start.kind === "restart")
      await checkRestartSeeds(config, bus, clusterId, clusterLimits, logger);
    bus.setIdentity(clusterId, self);
    // Peers first: the host's replicas talk as soon as they start.
    const knownPeers = start.kind === "join" ? start.peers : loadPeers(store.dataDir);
    for (const p of knownPeers) if (p.id !== self) bus.setPeer(p.id as NodeId, p.address);

    const host = await StoreHost.start({
      store,
      nodeId: self,
      bus,
      timers: systemTimers,
      clock,
      rng: new SeededRng(randomBytes(4).readUInt32LE(0)),
      limits: config.limits,
      raftTiming: {
        tickMs: options.tickMs ?? RAFT_TICK_MS,
        electionTick: RAFT_ELECTION_TICKS,
        heartbeatTick: RAFT_HEARTBEAT_TICKS,
      },
      // A request that finds its range without a leader rides out one election.
      leaderWaitMs: 2 * (options.tickMs ?? RAFT_TICK_MS) * RAFT_ELECTION_TICKS,
      log: logger,
      // Snapshots being received stream to files here, never whole in memory.
      snapshotStaging: new FileSnapshotStaging(join(store.dataDir, SNAPSHOT_STAGING_DIR)),
      onFatal: (error) => onFatal(error, "store failed; the node cannot go on"),
    });
    cleanup.unshift(() => host.stop(stopping ? (options.shutdownDrainMs ?? SHUTDOWN_DRAIN_MS) : 0));
    if (start.kind === "bootstrap") {
      await host.bootstrap([
        { rangeId: META_RANGE, keyspaces: "system", voters: [self] },
        { rangeId: DATA_RANGE, keyspaces: "user", voters: [self] },
        { rangeId: rangeId(3), voters: [self] },
      ]);
    }

    const cluster = new ClusterManager({
      clusterId,
      nodeId: self,
      addresses: addresses(),
      locality: config.locality,
      bus,
      host: clusterHostOf(host),
      systemKeyspace: SYSTEM_KEYSPACE_ID,
      planner: {
        ...(config.leaderPreference !== undefined
          ? { leaderPreference: config.leaderPreference }
          : {}),
        ...(config.splitKeysMax !== undefined ? { splitKeysMax: config.splitKeysMax } : {}),
        ...(config.splitBytesMax !== undefined ? { splitBytesMax: config.splitBytesMax } : {}),
        ...(config.splitOpsPerSecMax !== undefined
          ? { splitOpsPerSecMax: config.splitOpsPerSecMax }
          : {}),
        // Merges stay below a quarter of the split bounds (the planner requires at most half).
        ...(config.splitKeysMax !== undefined
          ? { mergeKeysMax: Math.max(1, Math.floor(config.splitKeysMax / 4)) }
          : {}),
        ...(config.splitOpsPerSecMax !== undefined
          ? { mergeOpsPerSecMax: Math.max(0.001, config.splitOpsPerSecMax / 8) }
          : {}),
      },
      replicationFactor: config.replicationFactor,
      limits: clusterLimits,
      timers: systemTimers,
      clock,
      logger,
      onRemoved: (message) => onFatal(new TesseraError("DATA_DIR", message), message),
      onPeers: (peers) => {
        try {
          savePeers(store.dataDir, peers);
        } catch (err) {
          logger.warn({ err }, "could not save the known peers");
        }
      },
    });
    cluster.seedPeers(knownPeers);
    host.setPeerDirectory((id) => cluster.nodes().find((r) => r.id === id)?.respAddress ?? "");
    cluster.start();
    cleanup.unshift(async () => cluster.stop());
    if (start.kind === "bootstrap") {
      await waitFor(
        () => host.rangeInfo(META_RANGE)?.leaderId === self,
        options.readyTimeoutMs,
        "range 1 to elect a leader",
      );
      await cluster.bootstrapMetadata(clock.nowMs());
      logger.info({ clusterId }, "bootstrapped a new cluster");
    }
    if (start.kind === "restart") {
      const membership = await cluster.checkMembership(MEMBERSHIP_CHECK_MS);
      if (membership === "removed") {
        throw new TesseraError(
          "DATA_DIR",
          `node ${self} was removed from cluster ${clusterId} and cannot rejoin with data directory ${config.dataDir}; ` +
            "start it with an empty data directory and --join to add it as a new node",
        );
      }
    }

    const tickMs = options.tickMs ?? RAFT_TICK_MS;
    const loopWatch = new LoopWatch({
      timers: systemTimers,
      clock,
      logger,
      stallWarnMs: (tickMs * RAFT_ELECTION_TICKS) / 2,
    });
    loopWatch.start();
    cleanup.unshift(async () => loopWatch.stop());
    const isReady = () => !stopping && !fatal && nodeReady(host, cluster);
    let resp: RespServer | undefined;
    const http = new HttpServer(
      config.bind,
      config.httpPort,
      {
        isReady,
        metrics: () =>
          renderMetrics({
            status: host.service.status(),
            store: store.stats(),
            host: host.stats(),
            resp: resp?.stats() ?? NO_RESP_STATS,
            keyspaces: host.service.keyspaceStats(),
            ready: isReady(),
            bus: bus.stats(),
            loop: loopWatch.stats(),
          }),
      },
      logger,
    );
    httpPort = (await http.start()).port;
    cleanup.unshift(() => http.stop());
    resp = new RespServer(
      {
        host: config.bind,
        port: config.port,
        ...(config.requirePass !== undefined ? { requirePass: config.requirePass } : {}),
        limits: {
          ...DEFAULT_RESP_LIMITS,
          respBulkBytesMax: config.limits.respBulkBytesMax,
          clientsMax: config.limits.clientsMax,
          pipelineDepthMax: config.limits.pipelineDepthMax,
          queryBufferBytesMax: config.limits.queryBufferBytesMax,
        },
        version: TESSERA_VERSION,
        runId: randomBytes(20).toString("hex"),
        dataDir: store.dataDir,
        logger,
        config: new NodeConfigStore({
          "http-port": httpPort,
          "bus-port": bus.port,
          "cluster-id": clusterId,
          "node-id": self,
          "replication-factor": config.replicationFactor,
          "dead-after-ms": deadAfterMs,
          ...Object.fromEntries(Object.entries(config.limits).map(([k, v]) => [kebab(k), v])),
        }),
        clock,
        httpPort,
        admin: respAdminOf(cluster, bus.faults, host),
        topology: respTopologyOf(cluster, host.service, addresses, clock),
        ...(config.redirect !== undefined ? { redirect: config.redirect } : {}),
      },
      host.service,
    );
    await waitFor(
      isReady,
      options.readyTimeoutMs,
      "the node to be ready (joined, range 2 has a leader)",
    );
    respPort = (await resp.start()).port;
    const started = resp;
    cleanup.unshift(() => started.stop());
    cluster.updateAddresses(addresses());

    logger.info(
      { clusterId, respPort, httpPort, busPort: bus.port, dataDir: store.dataDir },
      "ready",
    );
    let stopped: Promise<void> | undefined;
    return {
      nodeId: self,
      clusterId,
      respPort,
      httpPort,
      busPort: bus.port,
      dataDir: store.dataDir,
      stop: () => {
        stopped ??= (async () => {
          stopping = true;
          logger.info({}, "shutting down");
          await runCleanup(cleanup, logger);
          logger.info({}, "stopped");
        })();
        return stopped;
      },
    };
  } catch (e) {
    await runCleanup(cleanup, logger);
    throw e;
  }
}

/** Joined, and range 2 has a leader (known here, or through the meta leader for a spare). */
function nodeReady(host: StoreHost, cluster: ClusterManager): boolean {
  const data = host.rangeInfo(DATA_RANGE);
  if (data !== undefined) return data.leaderId !== 0;
  return cluster.connected();
}

async function waitFor(
  ok: () => boolean,
  timeoutMs: number | undefined,
  what: string,
): Promise<void> {
  const deadline = performance.now() + (timeoutMs ?? READY_TIMEOUT_MS);
  while (!ok()) {
    if (performance.now() > deadline)
      throw new TesseraError("UNAVAILABLE", `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
}

async function runCleanup(steps: (() => Promise<void>)[], logger: Logger): Promise<void> {
  for (const step of steps.splice(0)) {
    try {
      await step();
    } catch (err) {
      logger.error({ err }, "shutdown step failed");
    }
  }
}

function kebab(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** A wildcard bind address is not one a client can dial; loopback is the honest default. */
function advertiseHost(bind: string): string {
  return bind === "0.0.0.0" || bind === "::" || bind === "" ? "127.0.0.1" : bind;
}
