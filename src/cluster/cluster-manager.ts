/**
 * `ClusterManager`: the async driver of the cluster layer on one node
 * (DESIGN.md §6). It serves the cluster's bus calls (protocol.ts) and runs
 * three loops:
 *
 * - ping (every node, `pingIntervalMs`): tells the meta leader this node is
 *   alive and where it is; the reply carries the leader's liveness view and
 *   the peers' addresses, and says whether this node was removed (it must
 *   then stop: a removed id never comes back);
 * - table refresh (every node, `tableRefreshIntervalMs`): reads the node table
 *   from range 1 at `any` and keeps `bus.setPeer` in step with it;
 * - replicate (meta leader only, `replicateIntervalMs`): plans with the pure
 *   `planReplication` and applies one change per range at a time.
 *
 * Every change of metadata (join, address update, remove, decommission, and
 * the replicate pass) runs on the meta leader (range 1's leader) in one queue,
 * so two joins never race for one address. A call that reaches another node
 * is forwarded to the leader (at most FORWARD_HOPS_MAX times).
 */
import {
  assert,
  type Clock,
  compareBytes,
  type KeyspaceId,
  keyspaceId,
  keyspaceOfBound,
  META_RANGE_ID,
  type NodeId,
  nodeId,
  type RangeId,
  rangeId,
  SLOT_COUNT,
  slotBoundaryKey,
  TesseraError,
  type TimerHandle,
  type Timers,
} from "../lib/index.js";
import type { RangeLoadReport, RangeSummary } from "../range/index.js";
import type { Bus, CallContext } from "../transport/index.js";
import { withDeadline } from "./deadline.js";
import type { ClusterHost, RangeReplicaInfo } from "./host.js";
import type { ClusterLimits } from "./limits.js";
import { LivenessTracker } from "./liveness-tracker.js";
import { MetaStore } from "./meta-store.js";
import { isMember, type NodeRecord } from "./node-record.js";
import {
  checkPlannerSettings,
  DEFAULT_PLANNER_SETTINGS,
  type Liveness,
  type NodeView,
  type PlannedAction,
  type PlannedRange,
  type PlannerSettings,
  planCluster,
  planDecommission,
  planRemoval,
  type RangeChange,
  type RangeView,
} from "./planner/index.js";
import {
  type Addresses,
  type AdminRequest,
  expectInt,
  expectObject,
  expectString,
  FORWARD_HOPS_MAX,
  type JoinReply,
  type JoinRequest,
  METHOD_ADMIN,
  METHOD_CHANGE_REPLICAS,
  METHOD_HELLO,
  METHOD_JOIN,
  METHOD_PING,
  METHOD_RANGE_INFO,
  METHOD_RANGE_LOADS,
  type PeerAddress,
  type PingReply,
  type PingRequest,
  pickAddresses,
  readJoinRequest,
  readPingRequest,
  readRangeLoads,
  sameAddresses,
} from "./protocol.js";
import {
  type ClusterStatus,
  loadOf,
  type NodeStatus,
  nodeHoldings,
  type RangeStatus,
  rangeStatus,
} from "./status.js";

/** The pause before planning again after a pass that changed something. */
const REPLAN_AFTER_MS = 50;
/**
 * The longest pause between two planning passes while they find nothing to
 * do and nothing they read changed (see `replicatePass`): how late a range
 * that became too big or too busy since may be noticed.
 */
export const PLAN_QUIET_MAX_MS = 8_000;
/** Ranges a decommission or removal changes at once. */
const TAKE_OUT_PARALLEL_RANGES = 4;

/** The pause before the next planning pass after `quietPasses` quiet ones: doubling, bounded. */
export function quietPause(intervalMs: number, quietPasses: number): number {
  return Math.min(PLAN_QUIET_MAX_MS, intervalMs * 2 ** Math.max(0, quietPasses - 1));
}

function describeAction(a: PlannedAction): string {
  switch (a.kind) {
    case "merge":
      return `merge ranges ${a.leftRangeId} and ${a.rightRangeId} (${a.reason})`;
    case "transfer-leader":
      return `move the leadership of range ${a.rangeId} to node ${a.to} (${a.reason})`;
    case "split":
      return `split range ${a.rangeId} (${a.reason})`;
    default:
      return `${a.kind} node ${a.nodeId} on range ${a.rangeId} (${a.reason})`;
  }
}

/** The keyspace a span lies in, or undefined when it spans several. */
function keyspaceOfSpan(start: Uint8Array, end: Uint8Array): number | undefined {
  const ks = keyspaceOfBound(start) ?? (start.length <= 1 ? keyspaceId(0) : undefined);
  if (ks === undefined) return undefined;
  const ksEnd = slotBoundaryKey(ks, SLOT_COUNT);
  return compareBytes(end, ksEnd) <= 0 ? ks : undefined;
}

export interface ClusterLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface ClusterManagerOptions {
  readonly clusterId: string;
  readonly nodeId: NodeId;
  readonly addresses: Addresses;
  readonly locality: Readonly<Record<string, string>>;
  readonly bus: Bus;
  readonly host: ClusterHost;
  readonly systemKeyspace: KeyspaceId;
  /** @deprecated ranges come from the host's range cache (the meta table). */
  readonly rangeIds?: readonly RangeId[];
  readonly replicationFactor: number;
  /** Split bounds and the like; replicationFactor comes from above. Defaults: DEFAULT_PLANNER_SETTINGS. */
  readonly planner?: Partial<Omit<PlannerSettings, "replicationFactor">>;
  readonly limits: ClusterLimits;
  readonly timers: Timers;
  readonly clock: Clock;
  readonly logger: ClusterLogger;
  /** This node was removed from the cluster: it must stop. */
  readonly onRemoved: (message: string) => void;
  /** The known peers changed (the server keeps them for the next start). */
  readonly onPeers?: (peers: readonly PeerAddress[]) => void;
}

export class ClusterManager {
  readonly meta: MetaStore;
  private readonly table = new Map<NodeId, NodeRecord>();
  private readonly liveness: LivenessTracker;
  private readonly loops: TimerHandle[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private wasMetaLeader = false;
  private replicating = false;
  /** Passes in a row that planned nothing, with every range settled (see `replicatePass`). */
  private quietPasses = 0;
  private lastPassMs = Number.NEGATIVE_INFINITY;
  private lastPassInputs = "";
  private pinging = false;
  private pingTarget = 0;
  private lastPing: PingReply | undefined;
  private lastPingAtMs = Number.NEGATIVE_INFINITY;
  private readonly knownPeers = new Map<NodeId, string>();
  private addresses: Addresses;
  private stopped = false;

  constructor(private readonly o: ClusterManagerOptions) {
    this.meta = new MetaStore(o.host.service, o.systemKeyspace, o.limits.nodesMax);
    // A node with no replica (a spare) reaches leaders through the nodes it knows.
    o.host.setPeerCandidates(() => [...this.knownPeers.keys()]);
    this.liveness = new LivenessTracker(o.limits);
    checkPlannerSettings(this.plannerSettings());
    this.addresses = o.addresses;
  }

  get nodeId(): NodeId {
    return this.o.nodeId;
  }

  get clusterId(): string {
    return this.o.clusterId;
  }

  /** The first node of a new cluster writes the cluster id, takes id 1 and writes its record. */
  async bootstrapMetadata(nowMs: number): Promise<void> {
    await this.meta.initClusterId(this.o.clusterId);
    if ((await this.meta.allocatedIds("strong")) === 0) {
      const id = await this.meta.allocateNodeId();
      assert(id === this.o.nodeId, `bootstrap allocated node id ${id}, expected ${this.o.nodeId}`);
    }
    const records = await this.meta.nodes("strong");
    if (records.find((r) => r.id === this.o.nodeId) === undefined) {
      const self = this.selfRecord(nowMs);
      await this.meta.putNode(self);
      records.push(self);
    }
    // The table is known from here, not from the next refresh round: the
    // refresh `start` began may have read range 1 before this record was in it.
    this.applyTable(records);
  }

  /** Serves the cluster's bus calls and starts the loops. */
  start(): void {
    const { bus, limits, timers } = this.o;
    bus.handle(METHOD_HELLO, async () => ({ clusterId: this.o.clusterId, nodeId: this.o.nodeId }));
    bus.handle(METHOD_JOIN, (req, ctx) => this.handleJoin(req, ctx));
    bus.handle(METHOD_PING, (req, ctx) => this.handlePing(req, ctx));
    bus.handle(METHOD_ADMIN, (req) => this.handleAdmin(req));
    bus.handle(METHOD_CHANGE_REPLICAS, (req) => this.handleChangeReplicas(req));
    bus.handle(METHOD_RANGE_LOADS, async () => this.o.host.rangeLoads());
    bus.handle(METHOD_RANGE_INFO, async (req) => {
      const id = rangeId(expectInt(expectObject(req, "range info"), "rangeId", "range info"));
      return this.o.host.rangeInfo(id) ?? null;
    });
    this.loops.push(timers.every(limits.pingIntervalMs, () => void this.pingOnce()));
    this.loops.push(timers.every(limits.tableRefreshIntervalMs, () => void this.refreshTable()));
    this.loops.push(timers.every(limits.replicateIntervalMs, () => void this.replicatePass()));
    void this.refreshTable();
  }

  stop(): void {
    this.stopped = true;
    for (const l of this.loops.splice(0)) l.cancel();
  }

  /** Sets bus peers from a join or ping reply (before the node table can be read). */
  seedPeers(peers: readonly PeerAddress[]): void {
    let changed = false;
    for (const p of peers) {
      if (p.id === this.o.nodeId || this.knownPeers.get(nodeId(p.id)) === p.address) continue;
      if (this.table.get(nodeId(p.id))?.state === "removed") continue;
      this.knownPeers.set(nodeId(p.id), p.address);
      this.o.bus.setPeer(nodeId(p.id), p.address);
      changed = true;
    }
    if (changed) this.o.onPeers?.(this.peerList());
  }

  /** This node's addresses changed (its listeners are bound): the next ping records them. */
  updateAddresses(addresses: Addresses): void {
    this.addresses = addresses;
    void this.pingOnce();
  }

  /** The meta leader answered recently (or this node is it). */
  connected(): boolean {
    if (this.isMetaLeader()) return true;
    return this.o.clock.monotonicMs() - this.lastPingAtMs < 3 * this.o.limits.pingIntervalMs;
  }

  /**
   * Whether this node leads range 1. On becoming leader it starts judging
   * liveness afresh (it has heard no pings yet); on losing it, it forgets.
   */
  isMetaLeader(): boolean {
    const leading = this.o.host.rangeInfo(META_RANGE_ID)?.leaderId === this.o.nodeId;
    if (leading && !this.wasMetaLeader) {
      this.wasMetaLeader = true;
      this.liveness.restart(this.o.clock.monotonicMs());
      this.o.logger.info({}, "this node leads the meta range");
    } else if (!leading) {
      this.wasMetaLeader = false;
    }
    return leading;
  }

  /** The meta leader as best known here (0 = unknown). */
  metaLeader(): NodeId {
    const local = this.o.host.rangeInfo(META_RANGE_ID)?.leaderId ?? 0;
    return nodeId(local !== 0 ? local : (this.lastPing?.metaLeader ?? 0));
  }

  /** The node table as last read here, in id order. */
  nodes(): NodeRecord[] {
    return [...this.table.values()].sort((a, b) => a.id - b.id);
  }

  /** Liveness as the meta leader judged it (here, or in the last ping reply). */
  livenessOf(id: NodeId): Liveness | "unknown" {
    if (id === this.o.nodeId) return "live";
    if (this.isMetaLeader()) return this.liveness.judge(id, this.o.clock.monotonicMs());
    return this.lastPing?.liveness[String(id)] ?? "unknown";
  }

  /**
   * Asks the meta leader whether this node is still a member; "unknown" when
   * no one answers within `timeoutMs` (the whole cluster may be restarting).
   */
  async checkMembership(timeoutMs: number): Promise<"member" | "removed" | "unknown"> {
    const deadline = this.o.clock.monotonicMs() + timeoutMs;
    while (this.o.clock.monotonicMs() < deadline) {
      if (this.isMetaLeader()) return "member";
      const reply = await this.sendPing().catch(() => undefined);
      if (reply !== undefined) return reply.removed ? "removed" : "member";
      await new Promise((r) => this.o.timers.after(200, () => r(undefined)));
    }
    return "unknown";
  }

  // -------------------------------------------------------------------------
  // Operator commands (any node; run on the meta leader)

  remove(id: NodeId): Promise<string> {
    return this.admin({ op: "remove", nodeId: id }) as Promise<string>;
  }

  decommission(id: NodeId): Promise<string> {
    return this.admin({ op: "decommission", nodeId: id }) as Promise<string>;
  }

  status(): Promise<ClusterStatus> {
    return this.admin({ op: "status" }) as Promise<ClusterStatus>;
  }

  private async admin(req: AdminRequest): Promise<unknown> {
    return this.handleAdmin(req);
  }

  // -------------------------------------------------------------------------
  // Handlers

  private async handleJoin(raw: unknown, _ctx: CallContext): Promise<JoinReply> {
    const req = readJoinRequest(raw);
    if (!this.isMetaLeader()) {
      return (await this.forward(METHOD_JOIN, req, req.hops ?? 0)) as JoinReply;
    }
    return this.serialized(() => this.admit(req));
  }

  private async admit(req: JoinRequest): Promise<JoinReply> {
    const now = this.o.clock.nowMs();
    const records = await this.meta.nodes("strong");
    const dup = records.find((r) => isMember(r) && r.address === req.address);
    if (dup !== undefined) {
      throw new TesseraError(
        "INVALID_ARGUMENT",
        `bus address ${req.address} already belongs to node ${dup.id} (${dup.state}); ` +
          `restart that node with its data directory, or remove it first (tessera node remove ${dup.id})`,
      );
    }
    const id = await this.meta.allocateNodeId();
    const record: NodeRecord = {
      id,
      address: req.address,
      respAddress: req.respAddress,
      httpAddress: req.httpAddress,
      locality: req.locality,
      state: "active",
      joinedAtMs: now,
    };
    await this.meta.putNode(record);
    this.applyTable([...records, record]);
    this.liveness.saw(id, this.o.clock.monotonicMs());
    this.o.logger.info({ joined: id, address: req.address }, "node joined the cluster");
    this.o.timers.after(0, () => void this.replicatePass());
    return { clusterId: this.o.clusterId, nodeId: id, peers: this.peerList() };
  }

  private async handlePing(raw: unknown, ctx: CallContext): Promise<PingReply> {
    const req = readPingRequest(raw);
    const hops = req.hops ?? 0;
    const from = nodeId(hops === 0 && ctx.from !== 0 ? ctx.from : req.nodeId);
    // A node that moved is reachable at its new address at once, from here.
    const known = this.table.get(from);
    if (from !== this.o.nodeId && (known === undefined || isMember(known))) {
      this.o.bus.setPeer(from, req.address);
    }
    if (!this.isMetaLeader()) return (await this.forward(METHOD_PING, req, hops)) as PingReply;
    this.liveness.saw(from, this.o.clock.monotonicMs());
    let record = this.table.get(from);
    if (record === undefined) {
      await this.refreshTable("strong");
      record = this.table.get(from);
    }
    if (record !== undefined && record.state !== "removed" && !sameAddresses(record, req)) {
      const moved = { ...record, ...pickAddresses(req) };
      void this.serialized(async () => {
        await this.meta.putNode(moved);
        this.table.set(moved.id, moved);
        this.o.logger.info({ node: moved.id, address: moved.address }, "node address changed");
      }).catch((err: unknown) => this.o.logger.warn({ err }, "recording a node's address failed"));
    }
    return this.pingReply(record?.state === "removed");
  }

  private async handleAdmin(raw: unknown): Promise<unknown> {
    const obj = expectObject(raw, "admin");
    const op = expectString(obj, "op", "admin");
    const hops = typeof obj.hops === "number" ? obj.hops : 0;
    if (!this.isMetaLeader()) {
      const target = typeof obj.nodeId === "number" ? obj.nodeId : 0;
      if ((op === "remove" || op === "decommission") && target === this.metaLeader()) {
        // Not through the node being taken out: it would be cut off mid-call.
        await this.forward(METHOD_ADMIN, { op: "step-down" }, hops);
        await this.waitMetaLeaderOtherThan(nodeId(target));
        return this.handleAdmin(obj); // the new leader may be this node
      }
      return this.forward(METHOD_ADMIN, { ...obj, hops }, hops);
    }
    switch (op) {
      case "status":
        return this.buildStatus();
      case "step-down":
        await this.handOver(META_RANGE_ID, this.o.nodeId);
        return null;
      case "remove":
      case "decommission": {
        const id = nodeId(expectInt(obj, "nodeId", "admin"));
        if (id === this.o.nodeId && hops < FORWARD_HOPS_MAX) {
          // The meta leader does not take itself out: it hands range 1 over first.
          await this.handOver(META_RANGE_ID, id);
          return this.forward(METHOD_ADMIN, { ...obj, hops }, hops);
        }
        return this.serialized(() => this.takeOut(id, op));
      }
      default:
        throw new TesseraError("INVALID_ARGUMENT", `unknown cluster operation '${op}'`);
    }
  }

  private async handleChangeReplicas(raw: unknown): Promise<null> {
    const obj = expectObject(raw, "change replicas");
    const id = rangeId(expectInt(obj, "rangeId", "change replicas"));
    const change = expectObject(obj.change, "change replicas");
    const kind = expectString(change, "kind", "change replicas");
    const target = nodeId(expectInt(change, "nodeId", "change replicas"));
    if (kind !== "add-voter" && kind !== "remove") {
      throw new TesseraError("PROTOCOL", `change replicas: unknown kind '${kind}'`);
    }
    await this.o.host.changeReplicas(
      id,
      { kind, nodeId: target },
      this.o.limits.replicaChangeTimeoutMs,
    );
    return null;
  }

  // -------------------------------------------------------------------------
  // Remove and decommission (meta leader, serialized)

  private async takeOut(id: NodeId, op: "remove" | "decommission"): Promise<string> {
    const records = await this.meta.nodes("strong");
    this.applyTable(records);
    const record = records.find((r) => r.id === id);
    if (record === undefined)
      throw new TesseraError("INVALID_ARGUMENT", `no node ${id} in this cluster`);
    if (record.state === "removed") {
      throw new TesseraError("INVALID_ARGUMENT", `node ${id} was already removed`);
    }
    if (id === this.o.nodeId) {
      throw new TesseraError("UNAVAILABLE", `node ${id} still leads the meta range; retry`);
    }
    const ranges = await this.rangeViews();
    const input = { target: id, nodes: this.nodeViews(), ranges };
    const plan = op === "remove" ? planRemoval(input) : planDecommission(input);
    if (!plan.ok)
      throw new TesseraError("INVALID_ARGUMENT", `refusing to ${op} node ${id}: ${plan.reason}`);
    if (op === "decommission") {
      await this.meta.putNode({ ...record, state: "decommissioning" });
    }
    // Ranges move in parallel (a few at a time); each range's changes in order.
    const byRange = new Map<RangeId, RangeChange[]>();
    for (const c of plan.changes) byRange.set(c.rangeId, [...(byRange.get(c.rangeId) ?? []), c]);
    const queue = [...byRange.values()];
    const worker = async () => {
      for (let cs = queue.shift(); cs !== undefined; cs = queue.shift()) {
        for (const c of cs) {
          await this.retryTransient(async () => {
            if (c.change.kind === "remove") await this.handOver(c.rangeId, id);
            await this.applyChange(c);
          });
        }
      }
    };
    await Promise.all(Array.from({ length: TAKE_OUT_PARALLEL_RANGES }, worker));
    const removed: NodeRecord = { ...record, state: "removed", removedAtMs: this.o.clock.nowMs() };
    await this.meta.putNode(removed);
    this.table.set(id, removed);
    this.o.bus.removePeer(id);
    this.o.logger.info(
      { node: id, op, changes: plan.changes.length },
      "node taken out of the cluster",
    );
    return `node ${id} ${op === "remove" ? "removed" : "decommissioned"} (${plan.changes.length} replica changes)`;
  }

  // -------------------------------------------------------------------------
  // Loops

  private async pingOnce(): Promise<void> {
    if (this.stopped || this.pinging) return;
    if (this.isMetaLeader()) {
      this.maybeRecordOwnAddresses();
      return;
    }
    this.pinging = true;
    try {
      const reply = await this.sendPing();
      if (reply.removed) this.removed();
    } catch {
      this.pingTarget++; // another node next time
    } finally {
      this.pinging = false;
    }
  }

  /** The meta leader does not ping itself; it writes its own address changes. */
  private maybeRecordOwnAddresses(): void {
    const own = this.table.get(this.o.nodeId);
    if (own === undefined || own.state === "removed" || sameAddresses(own, this.addresses)) return;
    const moved = { ...own, ...pickAddresses(this.addresses) };
    this.table.set(moved.id, moved);
    void this.serialized(() => this.meta.putNode(moved)).catch(() => {
      this.table.set(own.id, own); // retried on the next ping round
    });
  }

  private async sendPing(): Promise<PingReply> {
    const req: PingRequest = { ...this.addresses, nodeId: this.o.nodeId, hops: 0 };
    const raw = await this.o.bus.call(this.pingDestination(), METHOD_PING, req, {
      timeoutMs: this.o.limits.clusterCallTimeoutMs,
    });
    const reply = raw as PingReply;
    this.lastPing = reply;
    this.lastPingAtMs = this.o.clock.monotonicMs();
    this.seedPeers(reply.peers ?? []);
    return reply;
  }

  private pingDestination(): NodeId {
    const leader = this.metaLeader();
    if (leader !== 0 && leader !== this.o.nodeId && this.pingTarget % 3 !== 2) return leader;
    const others = new Set<NodeId>(this.knownPeers.keys());
    for (const r of this.nodes()) if (isMember(r)) others.add(r.id);
    others.delete(this.o.nodeId);
    const list = [...others].sort((a, b) => a - b);
    const pick = list[this.pingTarget % Math.max(1, list.length)];
    if (pick === undefined) throw new TesseraError("UNAVAILABLE", "no other node known");
    return pick;
  }

  private async refreshTable(level?: "any" | "strong"): Promise<void> {
    if (this.stopped) return;
    // `any` reads the local replica of range 1; a node without one asks its leader.
    const consistency = level ?? (this.o.host.rangeInfo(META_RANGE_ID) ? "any" : "strong");
    try {
      const records = await withDeadline(
        this.o.timers,
        this.meta.nodes(consistency),
        this.o.limits.clusterCallTimeoutMs,
      );
      this.applyTable(records);
    } catch (err) {
      // Range 1 unreachable for now; the next round tries again.
      this.o.logger.warn({ err: String(err), consistency }, "reading the node table failed");
    }
  }

  private applyTable(records: readonly NodeRecord[]): void {
    let changed = false;
    for (const r of records) {
      const before = this.table.get(r.id);
      this.table.set(r.id, r);
      if (before?.address !== r.address || before?.state !== r.state) changed = true;
      if (r.id === this.o.nodeId) {
        if (r.state === "removed") this.removed();
        continue;
      }
      if (r.state === "removed") {
        if (before?.state !== "removed") this.o.bus.removePeer(r.id);
        this.knownPeers.delete(r.id);
      } else if (
        before === undefined ||
        before.address !== r.address ||
        before.state === "removed"
      ) {
        this.o.bus.setPeer(r.id, r.address);
        this.knownPeers.set(r.id, r.address);
      }
    }
    if (changed) {
      this.o.logger.info({ nodes: this.table.size }, "node table changed");
      this.o.onPeers?.(this.peerList());
    }
  }

  /**
   * One planning pass on the meta leader: the range cache (refreshed from the
   * meta table), each range's load from its leader, the node table and
   * liveness go into the pure `planCluster`; its actions run concurrently
   * (the planner never gives one range two actions, and bounds how many run
   * at once), each forwarded to the range's leader.
   */
  private async replicatePass(): Promise<void> {
    if (this.stopped || this.replicating || !this.isMetaLeader()) return;
    // Quiet backoff: after passes that planned nothing while every range was
    // settled, the next waits longer (up to PLAN_QUIET_MAX_MS) unless what it
    // reads changed: the nodes and their liveness, or the meta table (every
    // split, merge, move and leader change is written there). What it cannot
    // see without asking every node, a range growing too big or too busy, is
    // noticed that much later. A node holding thousands of idle ranges so
    // does not gather and plan them all every second.
    const inputs = this.planInputs();
    const now = this.o.clock.monotonicMs();
    if (
      this.quietPasses > 0 &&
      inputs === this.lastPassInputs &&
      now - this.lastPassMs < quietPause(this.o.limits.replicateIntervalMs, this.quietPasses)
    )
      return;
    this.lastPassMs = now;
    this.lastPassInputs = inputs;
    this.replicating = true;
    // A plan is bounded; while it finds work, plan again at once.
    let again = false;
    try {
      await this.serialized(async () => {
        if (this.table.size === 0) await this.refreshTable("strong");
        await this.o.host.refreshRanges().catch(() => undefined);
        const ranges = await this.plannedRanges();
        const actions = planCluster({
          nodes: this.nodeViews(),
          ranges,
          settings: this.plannerSettings(),
        });
        const settled = ranges.every(
          (r) => r.learners.length === 0 && r.leaderId !== 0 && r.load !== undefined,
        );
        this.quietPasses = actions.length === 0 && settled ? this.quietPasses + 1 : 0;
        const results = await Promise.allSettled(actions.map((a) => this.execute(a)));
        // Plan again soon only after a change to the replica sets or the range
        // table succeeded (leader moves settle on their own; a failing action
        // waits for the next regular pass rather than spinning).
        again = actions.some(
          (a, i) => a.kind !== "transfer-leader" && results[i]!.status === "fulfilled",
        );
        for (const [i, r] of results.entries()) {
          if (r.status === "rejected")
            this.o.logger.warn(
              { action: describeAction(actions[i]!), err: String(r.reason) },
              "planned action failed; the next pass plans again",
            );
        }
      });
    } catch (err) {
      this.o.logger.warn({ err: String(err) }, "replicate pass failed; retrying later");
    } finally {
      this.replicating = false;
    }
    if (again) this.o.timers.after(REPLAN_AFTER_MS, () => void this.replicatePass());
  }

  /** What a planning pass reads that changes without asking other nodes (see `replicatePass`). */
  private planInputs(): string {
    const nodes = this.nodeViews()
      .map((v) => `${v.record.id}:${v.record.state}:${v.liveness}:${v.record.address}`)
      .join(",");
    return `${this.o.host.metaVersion() ?? "-"}|${nodes}`;
  }

  private plannerSettings(): PlannerSettings {
    return {
      ...DEFAULT_PLANNER_SETTINGS,
      ...this.o.planner,
      replicationFactor: this.o.replicationFactor,
    };
  }

  /**
   * The loads each node reports of the ranges it leads: this node's own, and
   * each live member's (asked at once, each within `clusterCallTimeoutMs`).
   * A node that does not answer, or answers nonsense, is left out. Reading a
   * load changes nothing on the node (load-meter.ts), so the planner and
   * status may ask at any time.
   */
  private async gatherLoads(): Promise<Map<NodeId, readonly RangeLoadReport[]>> {
    const byNode = new Map<NodeId, readonly RangeLoadReport[]>([
      [this.o.nodeId, this.o.host.rangeLoads()],
    ]);
    const others = this.nodes().filter(
      (n) => isMember(n) && n.id !== this.o.nodeId && this.livenessOf(n.id) === "live",
    );
    const replies = await Promise.allSettled(
      others.map(async (n) => {
        const reply = await this.o.bus.call(
          n.id,
          METHOD_RANGE_LOADS,
          {},
          { timeoutMs: this.o.limits.clusterCallTimeoutMs },
        );
        return [n.id, readRangeLoads(reply)] as const;
      }),
    );
    for (const r of replies) if (r.status === "fulfilled") byNode.set(r.value[0], r.value[1]);
    return byNode;
  }

  /**
   * Every range with its members, leader and load (asked of every live node).
   * Members come from the range's leader where it reported them: the range
   * cache here may lag a change by seconds (this node may hold no replica of
   * the range, and the meta table is rewritten after the change), and a plan
   * made from the older membership undoes what the last one did (a "surplus
   * learner" removed after it had become a voter).
   */
  private async plannedRanges(): Promise<PlannedRange[]> {
    const loads = new Map<number, { from: NodeId; report: RangeLoadReport }>();
    for (const [from, reports] of await this.gatherLoads()) {
      for (const report of reports) {
        // Two nodes may both think they lead (one has not heard of the new
        // term yet): the newer shape, then the newer term, wins.
        const had = loads.get(report.rangeId)?.report;
        if (had === undefined || newerReport(report, had))
          loads.set(report.rangeId, { from, report });
      }
    }
    // A stale range cache may show one range as several clipped pieces: plan each range once.
    const seen = new Set<number>();
    const unique = this.o.host.ranges().filter((r) => !seen.has(r.rangeId) && seen.add(r.rangeId));
    return unique.map((r) => {
      const reported = loads.get(r.rangeId);
      const load = reported?.report;
      const fresh =
        load?.members !== undefined && load.generation >= r.generation ? load : undefined;
      const start = fresh?.start ?? r.start;
      const end = fresh?.end ?? r.end;
      return {
        rangeId: rangeId(r.rangeId),
        voters: fresh ? [...fresh.members!.voters] : r.voters.map((v) => nodeId(v)),
        learners: fresh ? [...fresh.members!.learners] : r.learners.map((v) => nodeId(v)),
        leaderId: fresh ? reported!.from : nodeId(r.leaderId),
        start,
        end,
        keyspace: keyspaceOfSpan(start, end),
        load: load && { keys: load.keys, bytes: load.bytes, opsPerSec: load.opsPerSec },
        splitKey: load?.splitKey,
        splittable: r.rangeId !== META_RANGE_ID && load?.splitKey !== undefined,
        ...(r.sticky ? { mergeableWithLeft: false } : {}),
      };
    });
  }

  private async execute(a: PlannedAction): Promise<void> {
    this.o.logger.info({ action: describeAction(a) }, "planned action");
    switch (a.kind) {
      case "add-voter":
        await this.applyChange({ rangeId: a.rangeId, change: a, reason: a.reason });
        return;
      case "remove":
        await this.handOver(a.rangeId, a.nodeId);
        await this.applyChange({ rangeId: a.rangeId, change: a, reason: a.reason });
        return;
      case "transfer-leader":
        await this.o.host.transferLeader(a.rangeId, a.to);
        return;
      case "split":
        await this.o.host.split(a.rangeId, a.splitKey);
        return;
      case "merge":
        await this.o.host.merge(a.leftRangeId, a.rightRangeId);
        return;
    }
  }

  // -------------------------------------------------------------------------
  // Helpers

  private async applyChange(c: RangeChange): Promise<void> {
    this.o.logger.info(
      { rangeId: c.rangeId, change: c.change, reason: c.reason },
      "changing replicas",
    );
    // The host forwards the change to the range's leader.
    await this.o.host.changeReplicas(c.rangeId, c.change, this.o.limits.replicaChangeTimeoutMs);
    this.o.logger.info({ rangeId: c.rangeId, change: c.change }, "replicas changed");
  }

  /**
   * Runs one step of a removal or decommission again while it fails for a
   * passing reason (a range between leaders, a change in progress), up to
   * `replicaChangeTimeoutMs`: moving many ranges must not fail on one election.
   */
  private async retryTransient(step: () => Promise<void>): Promise<void> {
    const deadline = this.o.clock.monotonicMs() + this.o.limits.replicaChangeTimeoutMs;
    for (;;) {
      try {
        return await step();
      } catch (e) {
        const transient =
          e instanceof TesseraError &&
          ["UNAVAILABLE", "NOT_LEADER", "PROPOSAL_DROPPED", "TIMEOUT", "RANGE_MISMATCH"].includes(
            e.code,
          );
        if (!transient || this.o.clock.monotonicMs() >= deadline) throw e;
        await new Promise((r) => this.o.timers.after(200, () => r(undefined)));
      }
    }
  }

  /** Waits (bounded) until this node sees a meta leader other than `old`, pinging to learn it. */
  private async waitMetaLeaderOtherThan(old: NodeId): Promise<void> {
    const deadline = this.o.clock.monotonicMs() + this.o.limits.clusterCallTimeoutMs;
    while (this.o.clock.monotonicMs() < deadline) {
      const leader = this.metaLeader();
      if (leader !== 0 && leader !== old) return;
      await this.sendPing().catch(() => undefined);
      await new Promise((r) => this.o.timers.after(50, () => r(undefined)));
    }
    throw new TesseraError("UNAVAILABLE", `the meta range is still led by node ${old}; retry`);
  }

  /**
   * Moves the leadership of `range` off `from` (to a live voter with the
   * highest match, or the first live one) when `from` leads it, so a removal
   * never asks a leader to remove itself.
   */
  private async handOver(range: RangeId, from: NodeId): Promise<void> {
    const info = await this.rangeInfoAnywhere(range);
    if (info === undefined || info.leaderId !== from) return;
    const views = new Map(this.nodeViews().map((v) => [v.record.id, v.liveness] as const));
    const match = new Map(info.progress.map((p) => [p.nodeId, p.matchIndex] as const));
    const to = info.voters
      .filter((v) => v !== from && views.get(v) === "live")
      .sort((a, b) => (match.get(b) ?? 0) - (match.get(a) ?? 0))[0];
    if (to === undefined) {
      throw new TesseraError(
        "UNAVAILABLE",
        `range ${range} has no live voter to take over from node ${from}`,
      );
    }
    this.o.logger.info({ rangeId: range, from, to }, "handing range leadership over");
    await this.o.host.transferLeader(range, to);
  }

  private nodeViews(): NodeView[] {
    return this.nodes().map((record) => ({
      record,
      liveness:
        record.id === this.o.nodeId
          ? "live"
          : this.liveness.judge(record.id, this.o.clock.monotonicMs()),
    }));
  }

  private async rangeViews(): Promise<RangeView[]> {
    await this.o.host.refreshRanges().catch(() => undefined);
    return this.o.host.ranges().map((r) => ({
      rangeId: rangeId(r.rangeId),
      voters: r.voters.map((v) => nodeId(v)),
      learners: r.learners.map((v) => nodeId(v)),
    }));
  }

  private knownRangeIds(): RangeId[] {
    const ids = new Set<number>([
      ...(this.o.rangeIds ?? []),
      ...this.o.host.rangeIds(),
      ...this.o.host.ranges().map((r) => r.rangeId),
    ]);
    return [...ids].sort((a, b) => a - b).map((n) => rangeId(n));
  }

  /**
   * The leader's view of a range: local when this node leads it, else asked
   * of its leader. A node that knows no leader of the range (it holds no
   * replica, or only the empty shell a stale message left of one it gave
   * away) asks the replicas its range cache names, and their leader.
   */
  private async rangeInfoAnywhere(id: RangeId): Promise<RangeReplicaInfo | undefined> {
    const local = this.o.host.rangeInfo(id);
    if (local !== undefined && local.leaderId === this.o.nodeId) return local;
    const ask = async (node: NodeId): Promise<RangeReplicaInfo | undefined> => {
      try {
        const remote = await this.o.bus.call(
          node,
          METHOD_RANGE_INFO,
          { rangeId: id },
          { timeoutMs: this.o.limits.clusterCallTimeoutMs },
        );
        return (remote as RangeReplicaInfo | null) ?? undefined;
      } catch {
        return undefined;
      }
    };
    const asked = new Set<NodeId>([this.o.nodeId]);
    let fallback = local !== undefined && local.voters.length > 0 ? local : undefined;
    // Follows leader hints from `first`, each node once; returns a leader's own answer.
    const fromLeader = async (first: NodeId): Promise<RangeReplicaInfo | undefined> => {
      let node = first;
      while (!asked.has(node)) {
        asked.add(node);
        const info = await ask(node);
        if (info === undefined) return undefined;
        if (info.leaderId === node) return info;
        if (info.voters.length > 0) fallback ??= info;
        if (info.leaderId === 0) return undefined;
        node = info.leaderId as NodeId;
      }
      return undefined;
    };
    const cached = this.o.host.ranges().find((r) => r.rangeId === id);
    const candidates = [
      ...(local !== undefined && local.leaderId !== 0 ? [local.leaderId] : []),
      ...(cached !== undefined && cached.leaderId !== 0 ? [cached.leaderId] : []),
      ...(cached?.voters ?? []),
      ...(cached?.learners ?? []),
    ];
    for (const node of candidates) {
      const info = await fromLeader(node as NodeId);
      if (info !== undefined) return info;
    }
    return fallback ?? local;
  }

  /**
   * The cluster's status: each range's leader view (asked of its leader),
   * its load from the loads every live node reports (gathered meanwhile,
   * bounded by `clusterCallTimeoutMs`; a range whose leader did not answer
   * shows no load), and each node's holdings counted over the ranges.
   */
  private async buildStatus(): Promise<ClusterStatus> {
    const gathering = this.gatherLoads();
    const infos: RangeReplicaInfo[] = [];
    for (const id of this.knownRangeIds()) {
      const info = await this.rangeInfoAnywhere(id);
      if (info !== undefined) infos.push(info);
    }
    const byNode = new Map<NodeId, Map<number, RangeLoadReport>>();
    for (const [id, reports] of await gathering) {
      byNode.set(id, new Map(reports.map((l) => [l.rangeId, l] as const)));
    }
    const cached = new Map<number, RangeSummary>();
    for (const r of this.o.host.ranges()) {
      const seen = cached.get(r.rangeId);
      if (seen === undefined || seen.generation < r.generation) cached.set(r.rangeId, r);
    }
    const ranges: RangeStatus[] = infos.map((info) =>
      rangeStatus(info, loadOf(byNode, info), cached.get(info.rangeId)),
    );
    const now = this.o.clock.monotonicMs();
    const nodes: NodeStatus[] = this.nodes().map((r) => ({
      ...r,
      liveness: r.id === this.o.nodeId ? "live" : this.liveness.judge(r.id, now),
      silentMs: r.id === this.o.nodeId ? 0 : this.liveness.silentMs(r.id, now),
      ...nodeHoldings(r.id, ranges),
    }));
    return { clusterId: this.o.clusterId, metaLeader: this.o.nodeId, nodes, ranges };
  }

  private pingReply(removed: boolean): PingReply {
    const now = this.o.clock.monotonicMs();
    const liveness: Record<string, Liveness> = {};
    const silentMs: Record<string, number> = {};
    for (const r of this.nodes()) {
      if (r.state === "removed") continue;
      liveness[String(r.id)] = r.id === this.o.nodeId ? "live" : this.liveness.judge(r.id, now);
      silentMs[String(r.id)] = r.id === this.o.nodeId ? 0 : this.liveness.silentMs(r.id, now);
    }
    return { metaLeader: this.o.nodeId, removed, liveness, silentMs, peers: this.peerList() };
  }

  /** Members of the node table, and peers known from a join or ping reply, with this node. */
  private peerList(): PeerAddress[] {
    const peers = new Map<number, string>();
    for (const [id, address] of this.knownPeers) peers.set(id, address);
    for (const r of this.nodes()) {
      if (isMember(r)) peers.set(r.id, r.address);
      else peers.delete(r.id);
    }
    peers.set(this.o.nodeId, this.addresses.address);
    return [...peers].sort(([a], [b]) => a - b).map(([id, address]) => ({ id, address }));
  }

  private async forward(method: string, req: object, hops: number): Promise<unknown> {
    const leader = this.metaLeader();
    if (hops >= FORWARD_HOPS_MAX || leader === 0 || leader === this.o.nodeId) {
      throw new TesseraError("UNAVAILABLE", "the meta range has no leader right now; retry");
    }
    return this.o.bus.call(
      leader,
      method,
      { ...req, hops: hops + 1 },
      {
        timeoutMs:
          method === METHOD_ADMIN
            ? this.o.limits.replicaChangeTimeoutMs
            : this.o.limits.clusterCallTimeoutMs,
      },
    );
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private selfRecord(nowMs: number): NodeRecord {
    return {
      id: this.o.nodeId,
      ...this.addresses,
      locality: this.o.locality,
      state: "active",
      joinedAtMs: nowMs,
    };
  }

  private removed(): void {
    if (this.stopped) return;
    this.stop();
    this.o.onRemoved(
      `node ${this.o.nodeId} was removed from cluster ${this.o.clusterId} and cannot rejoin with this data directory; ` +
        "start it with an empty data directory and --join to add it as a new node",
    );
  }
}

/** `a` describes a later state of its range than `b`: a newer generation, or the same one at a later term. */
function newerReport(a: RangeLoadReport, b: RangeLoadReport): boolean {
  if (a.generation !== b.generation) return a.generation > b.generation;
  return (a.members?.term ?? 0) > (b.members?.term ?? 0);
}
