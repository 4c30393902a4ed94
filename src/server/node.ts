/**
 * The composition root of a Tessera node: `startNode(config)` opens the store
 * (LMDB, locked data directory), starts the store's replicas (range 1, this
 * node its only voter, until the cluster layer places more), serves the
 * Redis protocol, the HTTP endpoint and the bus port, and resolves once the
 * node is ready (a leader, the log applied). It logs one JSON line with msg
 * "ready" and the ports bound.
 *
 * `stop()` shuts down gracefully: readiness goes false, the RESP server stops
 * accepting and lets clients take the replies they are owed, in-flight writes
 * are finished (up to `shutdownDrainMs`), the scheduler stops, the listeners
 * close and LMDB closes. A failure of the store while running is fatal: it is
 * logged and reported to `onFatal` (the `tessera` command exits non-zero).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:net";
import { type Clock, nodeId } from "../lib/index.js";
import { StoreHost } from "../range/index.js";
import { LmdbStore } from "../storage/index.js";
import { HttpServer } from "./http-server.js";
import { checkNodeLimits } from "./limits.js";
import { createLogger, type Logger } from "./logger.js";
import { renderMetrics } from "./metrics.js";
import type { NodeConfig } from "./node-config.js";
import { NodeConfigStore } from "./node-config-store.js";
import { DEFAULT_RESP_LIMITS, RespServer, type RespServerStats } from "./resp/index.js";
import { TESSERA_VERSION } from "./version.js";

export interface StartNodeOptions {
  /** Default: pino JSON to stdout at `config.logLevel`. */
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** How long to wait for range 1 to be ready (default 30 s). */
  readonly readyTimeoutMs?: number;
  /** How long `stop()` lets in-flight writes finish (default 5 s). */
  readonly shutdownDrainMs?: number;
  /** Milliseconds per Raft tick (default 100). */
  readonly tickMs?: number;
  /** The node cannot go on (its store failed). Default: log only. */
  readonly onFatal?: (error: unknown) => void;
}

export interface RunningNode {
  readonly nodeId: number;
  readonly respPort: number;
  readonly httpPort: number;
  readonly busPort: number;
  readonly dataDir: string;
  /** Graceful shutdown; idempotent. */
  stop(): Promise<void>;
}

const SYSTEM_CLOCK: Clock = { nowMs: () => Date.now(), monotonicMs: () => performance.now() };
const READY_TIMEOUT_MS = 30_000;
const SHUTDOWN_DRAIN_MS = 5_000;
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
  const rootLogger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? SYSTEM_CLOCK;
  const store = await LmdbStore.open({
    dataDir: config.dataDir,
    create: { clusterId: randomUUID(), nodeId: nodeId(1), nowMs: clock.nowMs() },
  });
  const logger = rootLogger.child({ nodeId: store.identity.nodeId });
  const cleanup: (() => Promise<void>)[] = [() => store.close()];
  let stopping = false;
  try {
    const host = StoreHost.start({
      store,
      clock,
      limits: config.limits,
      ...(options.tickMs !== undefined ? { tickMs: options.tickMs } : {}),
      onFatal: (error) => {
        logger.fatal({ err: error }, "store failed; the node cannot go on");
        options.onFatal?.(error);
      },
    });
    cleanup.unshift(() => host.stop(stopping ? (options.shutdownDrainMs ?? SHUTDOWN_DRAIN_MS) : 0));

    const bus = await listenBus(config.bind, config.busPort);
    cleanup.unshift(() => closeServer(bus.server));

    let resp: RespServer | undefined;
    const http = new HttpServer(
      config.bind,
      config.httpPort,
      {
        isReady: () => !stopping && host.isReady(),
        metrics: () =>
          renderMetrics({
            status: host.service.status(),
            store: store.stats(),
            host: host.stats(),
            resp: resp?.stats() ?? NO_RESP_STATS,
            keyspaces: host.service.keyspaceStats(),
            ready: !stopping && host.isReady(),
          }),
      },
      logger,
    );
    const httpPort = (await http.start()).port;
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
          "http-port": config.httpPort,
          "bus-port": bus.port,
          "cluster-id": store.identity.clusterId,
          "node-id": store.identity.nodeId,
          ...Object.fromEntries(Object.entries(config.limits).map(([k, v]) => [kebab(k), v])),
        }),
        clock,
        httpPort,
      },
      host.service,
    );

    await host.waitReady(options.readyTimeoutMs ?? READY_TIMEOUT_MS);
    const respPort = (await resp.start()).port;
    const started = resp;
    cleanup.unshift(() => started.stop());

    logger.info({ respPort, httpPort, busPort: bus.port, dataDir: store.dataDir }, "ready");
    let stopped: Promise<void> | undefined;
    return {
      nodeId: store.identity.nodeId,
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

/**
 * Binds the bus port now, so its address is fixed and a port conflict shows
 * at startup; node-to-node traffic is served on it once the cluster has more
 * than one node (until then a connection is closed at once).
 */
async function listenBus(host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return { server, port: typeof address === "object" && address !== null ? address.port : port };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
