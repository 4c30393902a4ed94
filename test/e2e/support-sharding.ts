/**
 * Helpers shared by the sharding end-to-end tests (cluster-redis-clients,
 * cluster-growth, cluster-dead-node, cluster-locality, cluster-split-load):
 * reading `TESSERA RANGE LIST`, splitting keyspace 0 at slot boundaries and
 * waiting until every node sees the new ranges with a leader, checking that a
 * `CLUSTER SLOTS` reply covers the 16 384 slots exactly once, parsing
 * `CLUSTER NODES`, counting replicas per node, an ioredis `Cluster` with
 * retry options suited to a cluster whose ranges move, and running external
 * tools (redis-cli, redis-benchmark) without blocking the event loop.
 *
 * Sizes: tests pick bounded sizes with `scaled(full, ci)` when the `CI`
 * environment variable is set (a loaded 2-core machine).
 *
 * Not in test/support (owned by the lead): tell the lead if these belong there.
 */
import { Cluster as RedisCluster, type ClusterOptions as RedisClusterOptions } from "ioredis";
import { keyHashSlot, SLOT_COUNT } from "../../src/lib/index.js";
import { waitFor, withClient } from "../support/cluster.js";
import type { NodeProcess } from "../support/process.js";

export { SLOT_COUNT };

/** Set (to anything but "" / "0" / "false") on CI and on a loaded machine: smaller sizes. */
export const CI = !["", "0", "false", undefined].includes(process.env.CI);

/** `full` normally, `ci` under CI. */
export function scaled(full: number, ci: number): number {
  return CI ? ci : full;
}

export function slotOf(key: string): number {
  return keyHashSlot(Buffer.from(key));
}

// ---- TESSERA RANGE LIST ---------------------------------------------------------

export interface RangeRow {
  readonly id: number;
  /** Slots of keyspace 0, inclusive; null for internal ranges (meta, …). */
  readonly slots: { readonly first: number; readonly last: number } | null;
  readonly generation: number;
  /** 0 while no leader is known. */
  readonly leader: number;
  readonly voters: readonly number[];
  readonly learners: readonly number[];
}

function text(v: unknown): string {
  return Buffer.isBuffer(v) ? v.toString("utf8") : String(v);
}

/** A RESP map as [field, value] pairs, whether the client gave a flat array, a Map or an object. */
function fieldsOf(entry: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (Array.isArray(entry)) {
    for (let i = 0; i + 1 < entry.length; i += 2) out.set(text(entry[i]), text(entry[i + 1]));
  } else if (entry instanceof Map) {
    for (const [k, v] of entry) out.set(text(k), text(v));
  } else if (entry !== null && typeof entry === "object") {
    for (const [k, v] of Object.entries(entry)) out.set(k, text(v));
  }
  return out;
}

const ids = (s: string | undefined): number[] =>
  s === undefined || s === "" ? [] : s.split(",").map(Number);

export function parseRangeList(reply: unknown): RangeRow[] {
  if (!Array.isArray(reply)) throw new Error(`TESSERA RANGE LIST: not an array: ${text(reply)}`);
  return reply.map((entry) => {
    const f = fieldsOf(entry);
    const slots = f.get("slots") ?? "-";
    const m = /^(\d+)-(\d+)$/.exec(slots);
    return {
      id: Number(f.get("id")),
      slots: m === null ? null : { first: Number(m[1]), last: Number(m[2]) },
      generation: Number(f.get("generation")),
      leader: Number(f.get("leader") ?? 0),
      voters: ids(f.get("voters")),
      learners: ids(f.get("learners")),
    };
  });
}

export function rangeList(node: NodeProcess | number): Promise<RangeRow[]> {
  return withClient(node, async (c) => parseRangeList(await c.call("TESSERA", "RANGE", "LIST")));
}

/**
 * The range table as the cluster knows it: every range listed by any of
 * `nodes`, each as described by a node holding a voter of it that knows its
 * leader (then by any voter, then by anyone), so a node that holds no replica
 * of a range (and may not know its leader) does not hide what the others know.
 * Nodes that do not answer are skipped.
 */
export async function rangeTable(nodes: readonly NodeProcess[]): Promise<RangeRow[]> {
  const lists = await Promise.all(nodes.map((n) => rangeList(n).catch(() => undefined)));
  const best = new Map<number, { row: RangeRow; rank: number }>();
  for (const [i, list] of lists.entries()) {
    for (const row of list ?? []) {
      const holder = row.voters.includes(nodes[i]!.nodeId);
      const rank = holder && row.leader !== 0 ? 2 : holder ? 1 : 0;
      const seen = best.get(row.id);
      if (
        seen === undefined ||
        rank > seen.rank ||
        (rank === seen.rank && row.generation > seen.row.generation)
      )
        best.set(row.id, { row, rank });
    }
  }
  return [...best.values()].map((b) => b.row).sort((a, b) => a.id - b.id);
}

/** The ranges of keyspace 0 (those with slots), in slot order. */
export function dataRanges(rows: readonly RangeRow[]): RangeRow[] {
  return rows.filter((r) => r.slots !== null).sort((a, b) => a.slots!.first - b.slots!.first);
}

/** Why the ranges of keyspace 0 do not tile slots 0..16383 exactly once, or undefined. */
export function tilingProblem(rows: readonly RangeRow[]): string | undefined {
  let next = 0;
  for (const r of dataRanges(rows)) {
    if (r.slots!.first !== next)
      return `range ${r.id} starts at slot ${r.slots!.first}, expected ${next}`;
    next = r.slots!.last + 1;
  }
  return next === SLOT_COUNT ? undefined : `the ranges end at slot ${next - 1}`;
}

/** `count - 1` slots that cut keyspace 0 into `count` ranges of (nearly) equal width. */
export function evenSplitSlots(count: number): number[] {
  const out: number[] = [];
  for (let i = 1; i < count; i++) out.push(Math.round((i * SLOT_COUNT) / count));
  return out;
}

/** True when some keyspace-0 range of `rows` starts at `slot`. */
function isBoundary(rows: readonly RangeRow[], slot: number): boolean {
  return rows.some((r) => r.slots?.first === slot);
}

/**
 * Splits keyspace 0 at every slot of `slots` through `via`, one `TESSERA
 * RANGE SPLIT` per slot. A split refused while the node's range table still
 * catches up with the previous one is retried (bounded); a slot that already
 * is a boundary is skipped. Then waits until every node of `nodes` lists
 * every boundary and every range has a leader.
 */
export async function splitKeyspace(
  via: NodeProcess,
  slots: readonly number[],
  nodes: readonly NodeProcess[] = [via],
  timeoutMs = 60_000,
): Promise<RangeRow[]> {
  const deadline = Date.now() + timeoutMs;
  await withClient(via, async (c) => {
    for (const slot of slots) {
      for (let attempt = 0; ; attempt++) {
        try {
          await c.call("TESSERA", "RANGE", "SPLIT", String(slot));
          break;
        } catch (e) {
          const rows = parseRangeList(await c.call("TESSERA", "RANGE", "LIST"));
          if (isBoundary(rows, slot)) break;
          if (Date.now() > deadline)
            throw new Error(`split at slot ${slot} kept failing: ${String(e)}`);
          await new Promise((r) => setTimeout(r, 50 * Math.min(attempt + 1, 10)));
        }
      }
    }
  });
  return waitRangesReady(nodes, slots, Math.max(10_000, deadline - Date.now()));
}

/**
 * Waits until every node of `nodes` lists a range starting at each of
 * `boundaries` (keyspace 0 tiled exactly once) and every range has a leader
 * known to one of its voters. (A node that holds no replica of a range may
 * not know its leader: it learns it when it forwards to it.) Resolves with
 * the first node's list.
 */
export async function waitRangesReady(
  nodes: readonly NodeProcess[],
  boundaries: readonly number[],
  timeoutMs: number,
): Promise<RangeRow[]> {
  return waitFor(
    `every node to list ${boundaries.length} new boundaries, every range with a leader`,
    async () => {
      // Throwing says why not yet: waitFor reports the last reason when it times out.
      const lists = await Promise.all(nodes.map((n) => rangeList(n)));
      for (const [i, r] of lists.entries()) {
        const missing = boundaries.filter((s) => !isBoundary(r, s));
        if (missing.length > 0)
          throw new Error(`node ${nodes[i]!.nodeId} lists no range starting at ${missing}`);
        const tiling = tilingProblem(r);
        if (tiling !== undefined) throw new Error(`node ${nodes[i]!.nodeId}: ${tiling}`);
      }
      const led = new Set<number>();
      for (const [i, list] of lists.entries())
        for (const r of list)
          if (r.leader !== 0 && r.voters.includes(nodes[i]!.nodeId)) led.add(r.id);
      const leaderless = lists[0]!.filter((r) => !led.has(r.id)).map((r) => r.id);
      if (leaderless.length > 0)
        throw new Error(`no voter of range(s) ${leaderless} knows a leader`);
      return lists[0];
    },
    timeoutMs,
    200,
  );
}

// ---- replicas per node -----------------------------------------------------------

/** Voter replicas each node of `nodeIds` holds, over every range of `rows`. */
export function replicaCounts(
  rows: readonly RangeRow[],
  nodeIds: readonly number[],
): Map<number, number> {
  const counts = new Map(nodeIds.map((id) => [id, 0] as [number, number]));
  for (const r of rows) for (const v of r.voters) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/** Counts differ by at most 10 % of their mean plus one (the rebalancing goal). */
export function isBalanced(counts: ReadonlyMap<number, number>): boolean {
  const values = [...counts.values()];
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.max(...values) - Math.min(...values) <= 0.1 * mean + 1;
}

export function formatCounts(counts: ReadonlyMap<number, number>): string {
  return [...counts].map(([id, n]) => `node ${id}: ${n}`).join(", ");
}

// ---- CLUSTER SLOTS and CLUSTER NODES --------------------------------------------

export interface SlotsEntry {
  readonly first: number;
  readonly last: number;
  /** [host, port] of the master then of each replica. */
  readonly nodes: readonly { host: string; port: number; id: string }[];
}

export function parseClusterSlots(reply: unknown): SlotsEntry[] {
  if (!Array.isArray(reply)) throw new Error(`CLUSTER SLOTS: not an array: ${text(reply)}`);
  return reply.map((e) => {
    const [first, last, ...nodes] = e as [number, number, ...unknown[][]];
    return {
      first: Number(first),
      last: Number(last),
      nodes: nodes.map((n) => ({ host: text(n[0]), port: Number(n[1]), id: text(n[2]) })),
    };
  });
}

/**
 * Why a CLUSTER SLOTS reply does not cover every slot exactly once with a
 * master among `ports`, or undefined when it does.
 */
export function slotsProblem(reply: unknown, ports?: ReadonlySet<number>): string | undefined {
  let entries: SlotsEntry[];
  try {
    entries = parseClusterSlots(reply);
  } catch (e) {
    return String(e);
  }
  const seen = new Uint8Array(SLOT_COUNT);
  for (const e of entries) {
    if (!(e.first >= 0 && e.last < SLOT_COUNT && e.first <= e.last))
      return `bad interval ${e.first}-${e.last}`;
    const master = e.nodes[0];
    if (master === undefined) return `interval ${e.first}-${e.last} has no master`;
    if (ports !== undefined && !ports.has(master.port))
      return `interval ${e.first}-${e.last} names unknown master port ${master.port}`;
    for (let s = e.first; s <= e.last; s++) {
      if (seen[s]) return `slot ${s} is listed twice`;
      seen[s] = 1;
    }
  }
  const missing = seen.indexOf(0);
  return missing === -1 ? undefined : `slot ${missing} is not covered`;
}

export interface NodesLine {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly busPort: number;
  readonly flags: readonly string[];
  readonly master: string;
  readonly configEpoch: number;
  readonly link: string;
  /** [first, last] pairs. */
  readonly slots: readonly (readonly [number, number])[];
}

/** Parses CLUSTER NODES as Redis documents it; throws on a malformed line. */
export function parseClusterNodes(reply: string): NodesLine[] {
  return reply
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line) => {
      const f = line.trim().split(" ");
      if (f.length < 8) throw new Error(`CLUSTER NODES line has ${f.length} fields: ${line}`);
      const [id, addr, flags, master, , , epoch, link, ...slotFields] = f as string[];
      const m = /^(.*):(\d+)@(\d+)(?:,.*)?$/.exec(addr!);
      if (!/^[0-9a-f]{40}$/.test(id!)) throw new Error(`bad node id in: ${line}`);
      if (m === null) throw new Error(`bad address in: ${line}`);
      if (!["connected", "disconnected"].includes(link!))
        throw new Error(`bad link state in: ${line}`);
      return {
        id: id!,
        host: m[1]!,
        port: Number(m[2]),
        busPort: Number(m[3]),
        flags: flags!.split(","),
        master: master!,
        configEpoch: Number(epoch),
        link: link!,
        slots: slotFields.map((s) => {
          const r = /^(\d+)(?:-(\d+))?$/.exec(s);
          if (r === null) throw new Error(`bad slot field '${s}' in: ${line}`);
          return [Number(r[1]), Number(r[2] ?? r[1])] as const;
        }),
      };
    });
}

// ---- clients ---------------------------------------------------------------------

/**
 * An ioredis Cluster over `nodes` that rides out ranges moving and leaders
 * changing: MOVED is followed at once, TRYAGAIN and CLUSTERDOWN are retried
 * after a short delay, a closed connection (a node leaving) is retried on a
 * refreshed slot map, and the slot map is refreshed every second.
 */
export function clusterClient(
  nodes: readonly NodeProcess[],
  overrides: Partial<RedisClusterOptions> = {},
): RedisCluster {
  const c = new RedisCluster(
    nodes.map((n) => ({ host: "127.0.0.1", port: n.respPort })),
    {
      maxRedirections: 64,
      retryDelayOnMoved: 0,
      retryDelayOnTryAgain: 100,
      retryDelayOnClusterDown: 200,
      retryDelayOnFailover: 200,
      slotsRefreshTimeout: 5_000,
      slotsRefreshInterval: 1_000,
      clusterRetryStrategy: (times) => Math.min(100 * times, 2_000),
      redisOptions: { connectTimeout: 5_000, maxRetriesPerRequest: 20, commandTimeout: 30_000 },
      ...overrides,
    },
  );
  c.on("error", () => {});
  c.on("node error", () => {});
  return c;
}

/** The last warnings and errors each node logged (pino levels 40+), to tell why something stalled. */
export function nodeWarnings(nodes: readonly NodeProcess[], last = 10): string {
  return nodes
    .map((n) => {
      const complaints = n
        .output()
        .split("\n")
        .filter((l) => /"level":(40|50|60)/.test(l))
        .slice(-last);
      return `node ${n.nodeId} warnings:\n  ${complaints.join("\n  ")}`;
    })
    .join("\n");
}

/** The last actions the meta leaders planned (a planner going round in circles shows here). */
export function plannedActions(nodes: readonly NodeProcess[], last = 12): string {
  const lines = nodes.flatMap((n) =>
    n
      .output()
      .split("\n")
      .filter((l) => l.includes('"msg":"planned action"'))
      .map((l) => {
        const rec = JSON.parse(l) as { time: number; action: string };
        return { time: rec.time, text: `node ${n.nodeId}: ${rec.action}` };
      }),
  );
  lines.sort((a, b) => a.time - b.time);
  return `last planned actions:\n  ${lines
    .slice(-last)
    .map((l) => l.text)
    .join("\n  ")}`;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
