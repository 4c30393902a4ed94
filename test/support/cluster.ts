/**
 * Real multi-node Tessera clusters for end-to-end tests, built on
 * process.ts: `startCluster(n)` starts node 1 (which bootstraps), then joins
 * the others to it one by one through its bus port, and waits until every
 * range has its replicas (min(n, replication factor) voters, no learner).
 * Helpers read the cluster's status over RESP (`TESSERA STATUS`), find a
 * range's leader and wait for conditions with a bound.
 */
import { Redis } from "ioredis";
import { type NodeProcess, type StartNodeOptions, startNode } from "./process.js";

export interface ClusterOptions {
  /** Extra arguments for every node (e.g. ["--enable-fault-injection"]). */
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Max ms to wait for full replication (default 60 s). */
  readonly replicatedTimeoutMs?: number;
}

export interface StatusNode {
  readonly id: number;
  readonly address: string;
  readonly respAddress: string;
  readonly state: string;
  readonly liveness: string;
}

export interface StatusRange {
  readonly rangeId: number;
  readonly leaderId: number;
  readonly voters: readonly number[];
  readonly learners: readonly number[];
  readonly commitIndex: number;
  readonly replicas: readonly { nodeId: number; matchIndex: number; lag: number }[];
}

export interface ClusterStatus {
  readonly clusterId: string;
  readonly metaLeader: number;
  readonly nodes: readonly StatusNode[];
  readonly ranges: readonly StatusRange[];
}

export interface Cluster {
  readonly nodes: NodeProcess[];
  /** The bus address of node 1, to join through. */
  readonly seed: string;
  readonly options: ClusterOptions;
}

/** A client that fails fast instead of queueing or retrying (tests measure outages). */
export function client(node: NodeProcess | number): Redis {
  const port = typeof node === "number" ? node : node.respPort;
  const c = new Redis({
    port,
    host: "127.0.0.1",
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: 2_000,
    commandTimeout: 15_000,
  });
  c.on("error", () => {});
  return c;
}

/** Runs `fn` with a connected client, then disconnects. */
export async function withClient<T>(
  node: NodeProcess | number,
  fn: (c: Redis) => Promise<T>,
): Promise<T> {
  const c = client(node);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

export async function clusterStatus(node: NodeProcess): Promise<ClusterStatus> {
  return withClient(
    node,
    async (c) => JSON.parse(String(await c.call("TESSERA", "STATUS"))) as ClusterStatus,
  );
}

/** Polls `check` every `everyMs` until it returns a value other than undefined; throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Waits until every range has `voters` voters and no learner, as seen from
 * `via`; then, for at most `balanceMs` more, until leadership is spread (no
 * node leads two more ranges than another: where the cluster's leader
 * balancing stops moving leaders), so a test starts from a settled cluster.
 * Replication is required; balance is only waited for, since on a loaded
 * machine elections can keep reshuffling leaders for a while.
 */
export async function waitReplicated(
  via: NodeProcess,
  voters: number,
  timeoutMs = 60_000,
  balanceMs = 15_000,
): Promise<ClusterStatus> {
  let last: ClusterStatus | undefined;
  const replicated = (s: ClusterStatus): boolean =>
    s.ranges.length >= 2 &&
    s.ranges.every(
      (r) => r.voters.length === voters && r.learners.length === 0 && r.leaderId !== 0,
    );
  try {
    await waitFor(
      `every range to have ${voters} voters`,
      async () => {
        last = await clusterStatus(via);
        return replicated(last) ? last : undefined;
      },
      timeoutMs,
      200,
    );
  } catch (e) {
    const ranges = last?.ranges
      .map(
        (r) =>
          `${r.rangeId}:L${r.leaderId}[${r.voters}]${r.learners.length ? `+[${r.learners}]` : ""}`,
      )
      .join(" ");
    throw new Error(`${String(e)}; last seen: ${ranges ?? "no status"}`);
  }
  const balanced = (s: ClusterStatus): boolean => {
    const led = new Map<number, number>();
    for (const n of s.nodes) if (n.state === "active") led.set(n.id, 0);
    for (const r of s.ranges) led.set(r.leaderId, (led.get(r.leaderId) ?? 0) + 1);
    const counts = [...led.values()];
    return Math.max(...counts) - Math.min(...counts) < 2;
  };
  try {
    return await waitFor(
      "leadership to spread",
      async () => {
        const s = await clusterStatus(via);
        return replicated(s) && balanced(s) ? s : undefined;
      },
      balanceMs,
      200,
    );
  } catch {
    return clusterStatus(via);
  }
}

/** The node process leading range `rangeId` (asked of any live node). */
export async function leaderOf(
  cluster: Cluster,
  rangeId: number,
  via?: NodeProcess,
): Promise<NodeProcess> {
  // A leader may be moving (an election, or the cluster balancing leaders): ask again briefly.
  return waitFor(
    `range ${rangeId} to have a leader among the cluster's processes`,
    async () => {
      const s = await clusterStatus(via ?? cluster.nodes[0]!);
      const r = s.ranges.find((x) => x.rangeId === rangeId);
      return cluster.nodes.find((n) => n.nodeId === r?.leaderId);
    },
    10_000,
    100,
  );
}

export function joinArgs(cluster: Cluster, extra: readonly string[] = []): string[] {
  return ["--join", cluster.seed, ...(cluster.options.args ?? []), ...extra];
}

/** Starts a node that joins `cluster` (or any process with the given options). */
export function startJoiner(
  cluster: Cluster,
  options: StartNodeOptions = {},
): Promise<NodeProcess> {
  return startNode({
    ...options,
    args: joinArgs(cluster, options.args ?? []),
    ...(cluster.options.env ? { env: { ...cluster.options.env, ...options.env } } : {}),
  });
}

export async function startCluster(n: number, options: ClusterOptions = {}): Promise<Cluster> {
  const first = await startNode({
    args: [...(options.args ?? [])],
    ...(options.env ? { env: options.env } : {}),
  });
  const cluster: Cluster = { nodes: [first], seed: `127.0.0.1:${first.busPort}`, options };
  for (let i = 1; i < n; i++) cluster.nodes.push(await startJoiner(cluster));
  await waitReplicated(first, Math.min(n, 3), options.replicatedTimeoutMs ?? 60_000);
  return cluster;
}

/**
 * Restarts a stopped node on its data directory. With `keepPorts` it listens
 * where it did before (a whole cluster restarting must find itself again);
 * without, it takes new ports (identity is the id; its peers learn the move).
 */
export function restart(
  cluster: Cluster,
  node: NodeProcess,
  options: StartNodeOptions & { keepPorts?: boolean } = {},
): Promise<NodeProcess> {
  const ports = options.keepPorts
    ? [
        "--port",
        String(node.respPort),
        "--http-port",
        String(node.httpPort),
        "--bus-port",
        String(node.busPort),
      ]
    : [];
  return startNode({
    dataDir: node.dataDir,
    args: [...(cluster.options.args ?? []), ...ports, ...(options.args ?? [])],
    ...(cluster.options.env ? { env: cluster.options.env } : {}),
    ...(options.readyTimeoutMs !== undefined ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
  });
}
