/**
 * Redis Cluster's commands (Redis cluster.c and cluster_legacy.c): CLUSTER
 * SLOTS SHARDS NODES INFO MYID MYSHARDID KEYSLOT COUNTKEYSINSLOT
 * GETKEYSINSLOT HELP, and READONLY READWRITE ASKING. Replies are laid out as
 * Redis 7.2 writes them (`clusterCommandSlots` and `addNodeToNodeReply`,
 * `clusterCommandShards` and `addNodeDetailsToShardReply`,
 * `clusterGenNodeDescription`, `genClusterInfoString`); what they say is
 * cluster-view.ts's picture of the range table. A server without a topology
 * is a standalone Redis: every one of these answers "This instance has
 * cluster support disabled", as Redis does.
 *
 * Tessera never migrates slots key by key, so it never answers ASK; ASKING is
 * accepted (clients send it after ASK) and lasts one command, as in Redis.
 */
import {
  decodeScanCursor,
  encodeScanCursor,
  type KvReply,
  type ReadCommand,
} from "../../../kv/index.js";
import { keyHashSlot, SLOT_COUNT, TesseraError } from "../../../lib/index.js";
import { int64Arg, invalidArg } from "../args.js";
import {
  CLUSTER_KEYSPACE,
  type ClusterView,
  clusterViewOf,
  nodeEpoch,
  ownedSlots,
  type SlotInterval,
  splitHostPort,
} from "../cluster-view.js";
import type { CommandContext, Handler } from "../command-spec.js";
import { fromKvReply, readConsistency } from "../kv.js";
import type { RespClusterNode, RespClusterTopology } from "../options.js";
import { redisNodeId, redisShardId } from "../redis-node-id.js";
import {
  arrayReply,
  bulkReply,
  helpReply,
  integer,
  mapReply,
  R_OK,
  type Reply,
  verbatim,
} from "../reply.js";

const DISABLED_TEXT = "This instance has cluster support disabled";

function topologyOf(ctx: CommandContext): RespClusterTopology {
  const topology = ctx.server.topology;
  if (topology === undefined) throw invalidArg(DISABLED_TEXT);
  return topology;
}

/** The view of a command that shows the topology; the client now counts as cluster-aware. */
function viewFor(ctx: CommandContext): ClusterView {
  const view = clusterViewOf(topologyOf(ctx));
  ctx.client.clusterAware = true;
  return view;
}

function nodeOf(view: ClusterView, id: number): RespClusterNode | undefined {
  return view.nodes.find((n) => n.id === id) ?? view.leaving.find((n) => n.id === id);
}

// ---- CLUSTER SLOTS -----------------------------------------------------------

/** [ip, port, id, {}]: Redis's `addNodeToNodeReply` with the IP as preferred endpoint. */
function slotNodeReply(view: ClusterView, id: number): Reply {
  const { host, port } = splitHostPort(nodeOf(view, id)?.respAddress ?? "");
  return arrayReply([
    bulkReply(host),
    integer(port),
    bulkReply(redisNodeId(view.clusterId, id)),
    mapReply([]),
  ]);
}

/**
 * A replica CLUSTER SLOTS lists: a member not failed (Redis
 * `isReplicaAvailable`) whose address this node knows (a client given no
 * address would try its default one, 127.0.0.1:6379).
 */
function isAvailable(view: ClusterView, id: number): boolean {
  const node = nodeOf(view, id);
  return (
    node !== undefined && node.liveness !== "dead" && splitHostPort(node.respAddress).port !== 0
  );
}

/**
 * Each interval's replicas as CLUSTER SLOTS lists them. A Redis Cluster client
 * keeps connections only to the nodes the last CLUSTER SLOTS named: it closes
 * the others and *sends again* whatever was in flight on them (ioredis does,
 * on "Connection is closed"), so a write that node had already proposed would
 * be applied twice. A range table seen from one node may lag (a range that
 * moved to a node that joined moments ago), so a live member would vanish
 * from the reply while it leads a range. Every live member with an address
 * is therefore named at least once: one that holds no voter replica this node
 * knows of is listed as a replica of the first interval, which is true of
 * what a replica means to a client (any Tessera node serves any key's reads).
 * So is a node removed moments ago, while it may still owe replies
 * (`REMOVED_NODE_LISTED_MS`).
 */
function listedReplicas(view: ClusterView): number[][] {
  const lists = view.intervals.map((i) => i.replicas.filter((r) => isAvailable(view, r)));
  const named = new Set<number>();
  view.intervals.forEach((i, k) => {
    named.add(i.owner);
    for (const r of lists[k]!) named.add(r);
  });
  const unnamed = [...view.nodes, ...view.leaving].filter(
    (n) => !named.has(n.id) && isAvailable(view, n.id),
  );
  if (lists.length > 0) lists[0]!.push(...unnamed.map((n) => n.id));
  return lists;
}

const slots: Handler = (ctx) => {
  const view = viewFor(ctx);
  const replicas = listedReplicas(view);
  return arrayReply(
    view.intervals.map((i, k) =>
      arrayReply([
        integer(i.first),
        integer(i.last),
        slotNodeReply(view, i.owner),
        ...replicas[k]!.map((r) => slotNodeReply(view, r)),
      ]),
    ),
  );
};

// ---- CLUSTER SHARDS ----------------------------------------------------------

interface Shard {
  readonly owner: number;
  readonly replicas: readonly number[];
  /** [first, last] pairs, flattened, as Redis's `slot_info_pairs`. */
  readonly slots: number[];
}

/** Intervals with the same master and replicas form one shard. */
function shardsOf(intervals: readonly SlotInterval[]): Shard[] {
  const byNodes = new Map<string, Shard>();
  for (const i of intervals) {
    const key = `${i.owner}/${i.replicas.join(",")}`;
    const shard = byNodes.get(key);
    if (shard === undefined) {
      byNodes.set(key, { owner: i.owner, replicas: i.replicas, slots: [i.first, i.last] });
    } else if (shard.slots[shard.slots.length - 1] === i.first - 1) {
      shard.slots[shard.slots.length - 1] = i.last;
    } else {
      shard.slots.push(i.first, i.last);
    }
  }
  return [...byNodes.values()];
}

/** Redis's `addNodeDetailsToShardReply`; Tessera keeps no replication offset per node. */
function shardNodeReply(view: ClusterView, id: number, role: "master" | "replica"): Reply {
  const node = nodeOf(view, id);
  const { host, port } = splitHostPort(node?.respAddress ?? "");
  const fields: [string, Reply][] = [["id", bulkReply(redisNodeId(view.clusterId, id))]];
  if (port !== 0) fields.push(["port", integer(port)]);
  fields.push(
    ["ip", bulkReply(host)],
    ["endpoint", bulkReply(host)],
    ["role", bulkReply(role)],
    ["replication-offset", integer(0)],
    ["health", bulkReply(node?.liveness === "dead" ? "fail" : "online")],
  );
  return mapReply(fields.map(([k, v]) => [bulkReply(k), v] as const));
}

const shards: Handler = (ctx) => {
  const view = viewFor(ctx);
  return arrayReply(
    shardsOf(view.intervals).map((s) =>
      mapReply([
        [bulkReply("slots"), arrayReply(s.slots.map(integer))],
        [
          bulkReply("nodes"),
          arrayReply([
            shardNodeReply(view, s.owner, "master"),
            ...s.replicas.map((r) => shardNodeReply(view, r, "replica")),
          ]),
        ],
      ]),
    ),
  );
};

// ---- CLUSTER NODES -----------------------------------------------------------

/** One line of CLUSTER NODES (Redis `clusterGenNodeDescription`), newline included. */
export function nodeLine(view: ClusterView, node: RespClusterNode, nowMs: number): string {
  const { host, port } = splitHostPort(node.respAddress);
  const busPort = splitHostPort(node.busAddress).port;
  const me = node.id === view.myId;
  // Redis's flag order: myself, master, slave, fail?, fail, handshake, noaddr.
  const flags = [
    ...(me ? ["myself"] : []),
    "master",
    ...(node.liveness === "suspect" ? ["fail?"] : []),
    ...(node.liveness === "dead" ? ["fail"] : []),
    ...(port === 0 ? ["noaddr"] : []),
  ];
  // No pings are timed per client-visible link; a live peer has just been heard from.
  const pongRecvMs = !me && node.liveness === "live" ? nowMs : 0;
  const link = me || node.liveness === "live" ? "connected" : "disconnected";
  const slotList = ownedSlots(view.intervals, node.id)
    .map(([first, last]) => (first === last ? ` ${first}` : ` ${first}-${last}`))
    .join("");
  return (
    `${redisNodeId(view.clusterId, node.id)} ${host}:${port}@${busPort} ${flags.join(",")} - ` +
    `0 ${pongRecvMs} ${nodeEpoch(view.intervals, node.id)} ${link}${slotList}\n`
  );
}

const nodes: Handler = (ctx) => {
  const view = viewFor(ctx);
  const nowMs = ctx.server.nowMs();
  return verbatim(view.nodes.map((n) => nodeLine(view, n, nowMs)).join(""));
};

// ---- CLUSTER INFO ------------------------------------------------------------

/**
 * Redis's `genClusterInfoString`. A slot is ok when its range has a leader
 * that is not failing, pfail when the leader is suspect or unknown (the range
 * is electing one), fail when the leader is dead. The state is ok when every
 * slot is assigned, has a known leader and none has failed (Redis's
 * cluster-require-full-coverage).
 */
export function clusterInfoText(view: ClusterView): string {
  let assigned = 0;
  let ok = 0;
  let pfail = 0;
  let fail = 0;
  for (const i of view.intervals) {
    const count = i.last - i.first + 1;
    const liveness = nodeOf(view, i.owner)?.liveness ?? "unknown";
    assigned += count;
    if (liveness === "dead") fail += count;
    else if (!i.leaderKnown || liveness === "suspect") pfail += count;
    else ok += count;
  }
  const leaderless = view.intervals.some((i) => !i.leaderKnown);
  const state = assigned === SLOT_COUNT && fail === 0 && !leaderless ? "ok" : "fail";
  const fields: [string, string | number][] = [
    ["cluster_state", state],
    ["cluster_slots_assigned", assigned],
    ["cluster_slots_ok", ok],
    ["cluster_slots_pfail", pfail],
    ["cluster_slots_fail", fail],
    ["cluster_known_nodes", view.nodes.length],
    ["cluster_size", new Set(view.intervals.map((i) => i.owner)).size],
    ["cluster_current_epoch", view.currentEpoch],
    ["cluster_my_epoch", nodeEpoch(view.intervals, view.myId)],
    ["cluster_stats_messages_sent", 0],
    ["cluster_stats_messages_received", 0],
    ["total_cluster_links_buffer_limit_exceeded", 0],
  ];
  return fields.map(([k, v]) => `${k}:${v}\r\n`).join("");
}

const info: Handler = (ctx) => verbatim(clusterInfoText(clusterViewOf(topologyOf(ctx))));

// ---- CLUSTER MYID, MYSHARDID, KEYSLOT ------------------------------------------

const myid: Handler = (ctx) => {
  const topology = topologyOf(ctx);
  ctx.client.clusterAware = true;
  return bulkReply(redisNodeId(topology.clusterId(), topology.myId()));
};

const myshardid: Handler = (ctx) => {
  const topology = topologyOf(ctx);
  return bulkReply(redisShardId(topology.clusterId(), topology.myId()));
};

const keyslot: Handler = (ctx) => {
  topologyOf(ctx);
  return integer(keyHashSlot(ctx.args[2] as Buffer));
};

// ---- CLUSTER COUNTKEYSINSLOT, GETKEYSINSLOT ------------------------------------

/** SCAN COUNT of one step of a slot walk. */
const SLOT_SCAN_BATCH_KEYS = 1000;
/** Most SCAN steps of one slot walk, so one command visits at most a million entries. */
const SLOT_SCAN_STEPS_MAX = 1000;

function scanPartsOf(reply: KvReply): { next: string; keys: readonly Uint8Array[] } {
  const [cursor, found] = reply.t === "array" ? reply.v : [];
  if (cursor?.t !== "bulk" || found?.t !== "array")
    throw new TesseraError("INTERNAL", "SCAN answered with an unexpected reply");
  const keys = found.v.map((k) => (k.t === "bulk" ? k.v : new Uint8Array(0)));
  return { next: Buffer.from(cursor.v).toString("latin1"), keys };
}

/**
 * The keys of `slot` (keyspace 0), at most `limit`, or the error reply of a
 * failed step. There is no per-slot key count to read, so this walks SCAN from
 * the slot's first key: data keys are stored in (slot, key) order (lib/keys.ts)
 * and a SCAN cursor names a resume position that begins with the slot
 * (kv/scan.ts), so the walk starts at the slot and stops once the cursor has
 * left it. It costs the keys of the slot (plus one step), not the keyspace,
 * and at most SLOT_SCAN_STEPS_MAX steps.
 */
async function keysInSlot(
  ctx: CommandContext,
  slot: number,
  limit: number,
): Promise<Uint8Array[] | Reply> {
  const keys: Uint8Array[] = [];
  if (limit <= 0) return keys;
  let cursor = encodeScanCursor(Uint8Array.of(slot >>> 8, slot & 0xff));
  for (let step = 0; step < SLOT_SCAN_STEPS_MAX; step++) {
    const cmd: ReadCommand = {
      op: "scan",
      ks: CLUSTER_KEYSPACE,
      cursor,
      match: undefined,
      count: SLOT_SCAN_BATCH_KEYS,
      type: undefined,
    };
    const reply = await ctx.server.service.read(cmd, readConsistency(ctx));
    if (reply.t === "error") return fromKvReply(reply);
    const { next, keys: found } = scanPartsOf(reply);
    for (const key of found) {
      if (keyHashSlot(key) !== slot) continue;
      keys.push(key);
      if (keys.length >= limit) return keys;
    }
    if (next === "0") return keys;
    const position = decodeScanCursor(next, "hash");
    if (position === undefined)
      throw new TesseraError("INTERNAL", `SCAN answered with an unexpected cursor ${next}`);
    if ((((position[0] as number) << 8) | (position[1] as number)) > slot) return keys;
    cursor = next;
  }
  throw new TesseraError(
    "LIMIT_EXCEEDED",
    `slot ${slot} has more keys than one command walks (${SLOT_SCAN_STEPS_MAX * SLOT_SCAN_BATCH_KEYS})`,
  );
}

const countkeysinslot: Handler = async (ctx) => {
  topologyOf(ctx);
  const slot = int64Arg(ctx.args[2] as Buffer);
  if (slot < 0n || slot >= BigInt(SLOT_COUNT)) throw invalidArg("Invalid slot");
  const keys = await keysInSlot(ctx, Number(slot), Number.POSITIVE_INFINITY);
  return Array.isArray(keys) ? integer(keys.length) : keys;
};

const getkeysinslot: Handler = async (ctx) => {
  topologyOf(ctx);
  const slot = int64Arg(ctx.args[2] as Buffer);
  const count = int64Arg(ctx.args[3] as Buffer);
  if (slot < 0n || slot >= BigInt(SLOT_COUNT) || count < 0n)
    throw invalidArg("Invalid slot or number of keys");
  const limit = count > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(count);
  const keys = await keysInSlot(ctx, Number(slot), limit);
  return Array.isArray(keys) ? arrayReply(keys.map(bulkReply)) : keys;
};

// ---- CLUSTER HELP --------------------------------------------------------------

const HELP_LINES = [
  "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "COUNTKEYSINSLOT <slot>",
  "    Return the number of keys in <slot>.",
  "GETKEYSINSLOT <slot> <count>",
  "    Return key names stored in a slot.",
  "INFO",
  "    Return information about the cluster.",
  "KEYSLOT <key>",
  "    Return the hash slot for <key>.",
  "MYID",
  "    Return the node id.",
  "MYSHARDID",
  "    Return the node's shard id.",
  "NODES",
  "    Return cluster configuration seen by node. Output format:",
  "    <id> <ip:port@bus-port[,hostname]> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
  "SLOTS",
  "    Return information about slots range mappings. Each range is made of:",
  "    start, end, master and replicas IP addresses, ports and ids",
  "SHARDS",
  "    Return information about slot range mappings and the nodes associated with them.",
  "HELP",
  "    Print this help.",
];

// ---- READONLY, READWRITE, ASKING -----------------------------------------------

function connectionFlag(set: (ctx: CommandContext) => void): Handler {
  return (ctx) => {
    topologyOf(ctx);
    set(ctx);
    ctx.client.clusterAware = true;
    return R_OK;
  };
}

export const REDIS_CLUSTER_HANDLERS: Readonly<Record<string, Handler>> = {
  "cluster|slots": slots,
  "cluster|shards": shards,
  "cluster|nodes": nodes,
  "cluster|info": info,
  "cluster|myid": myid,
  "cluster|myshardid": myshardid,
  "cluster|keyslot": keyslot,
  "cluster|countkeysinslot": countkeysinslot,
  "cluster|getkeysinslot": getkeysinslot,
  "cluster|help": (ctx) => {
    topologyOf(ctx);
    return helpReply(HELP_LINES);
  },
  readonly: connectionFlag((ctx) => {
    ctx.client.readOnly = true;
  }),
  readwrite: connectionFlag((ctx) => {
    ctx.client.readOnly = false;
  }),
  asking: connectionFlag((ctx) => {
    ctx.client.asking = true;
  }),
};
