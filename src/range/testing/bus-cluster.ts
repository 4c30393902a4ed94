/**
 * Test support: a cluster of StoreHosts in one process, each with its own
 * LMDB store in a temporary directory and a real TcpBus on 127.0.0.1:0, all
 * peers of each other. Used by the multi-node tests of this folder.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KvReply, WriteCommand } from "../../kv/index.js";
import {
  type Clock,
  keyspaceId,
  type NodeId,
  nodeId,
  type RangeId,
  SeededRng,
} from "../../lib/index.js";
import { Store } from "../../storage/index.js";
import { DEFAULT_BUS_LIMITS, TcpBus } from "../../transport/index.js";
import type { StoreHostLimits, StoreHostOptions, TestingKnobs } from "../host-types.js";
import { SYSTEM_RANGE_ID, USER_RANGE_ID } from "../routing.js";
import { StoreHost } from "../store-host.js";
import { systemTimers } from "../system-timers.js";

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
};

export const LIMITS: StoreHostLimits = {
  proposalsPendingMax: 1000,
  proposalBytesMax: 1024 * 1024,
  proposalTimeoutMs: 5000,
  readTimeoutMs: 5000,
  expireBatchKeysMax: 100,
};

export const KS = keyspaceId(0);
export const b = (s: string) => new TextEncoder().encode(s);
export const text = (r: KvReply) => (r.t === "bulk" ? new TextDecoder().decode(r.v) : r.t);
export const set = (k: string, v: string): WriteCommand => ({
  op: "set",
  ks: KS,
  key: b(k),
  value: b(v),
  expiry: { kind: "none" },
  cond: "always",
  get: false,
});
export const get = (k: string) => ({ op: "get" as const, ks: KS, key: b(k) });

const silent = { info() {}, warn() {}, error() {} };

export interface TestNode {
  readonly id: NodeId;
  readonly dir: string;
  readonly store: Store;
  readonly bus: TcpBus;
  readonly host: StoreHost;
  stopped: boolean;
}

export class BusCluster {
  readonly nodes = new Map<number, TestNode>();
  private readonly dirs: string[] = [];

  constructor(
    private readonly knobs: TestingKnobs = {},
    private readonly leaderWaitMs = 1000,
    private readonly hostOptions: Pick<
      StoreHostOptions,
      "spanChunkLimits" | "metaSweepMs" | "raftTiming" | "logEntriesKeep" | "uninitializedIdleMs"
    > = {},
  ) {}

  async add(id: number): Promise<TestNode> {
    const dir = mkdtempSync(join(tmpdir(), `tessera-bus-${id}-`));
    this.dirs.push(dir);
    return this.open(id, dir);
  }

  /** Stops node `id` and starts it again on its data directory (a restart). */
  async restart(id: number): Promise<TestNode> {
    await this.stop(id);
    return this.open(id, this.node(id).dir);
  }

  private async open(id: number, dir: string): Promise<TestNode> {
    const nid = nodeId(id);
    const store = await Store.openLmdb({
      dataDir: dir,
      create: { clusterId: "c", nodeId: nid, nowMs: Date.now() },
    });
    const bus = await TcpBus.listen({
      host: "127.0.0.1",
      port: 0,
      clusterId: "c",
      nodeId: nid,
      limits: DEFAULT_BUS_LIMITS,
      logger: silent,
      faultsEnabled: true,
    });
    for (const other of this.nodes.values()) {
      if (other.stopped) continue;
      bus.setPeer(other.id, other.bus.advertiseAddress);
      other.bus.setPeer(nid, bus.advertiseAddress);
    }
    const host = StoreHost.start({
      store,
      nodeId: nid,
      bus,
      timers: systemTimers,
      clock: systemClock,
      rng: new SeededRng(id * 7919),
      limits: LIMITS,
      raftTiming: { tickMs: 20, electionTick: 10, heartbeatTick: 1 },
      knobs: this.knobs,
      leaderWaitMs: this.leaderWaitMs,
      logEntriesKeep: 50,
      ...this.hostOptions,
      onFatal: (e) => {
        throw e;
      },
    });
    host.setPeerDirectory((n) => `node-${n}`);
    const node: TestNode = { id: nid, dir, store, bus, host, stopped: false };
    this.nodes.set(id, node);
    return node;
  }

  /**
   * Nodes `ids` joined, the first bootstrapping the meta range and the user
   * range as their only voter; resolves once the user range has a leader.
   */
  async bootstrapped(...ids: number[]): Promise<TestNode[]> {
    const nodes: TestNode[] = [];
    for (const id of ids) nodes.push(await this.add(id));
    const first = nodes[0]!;
    await first.host.bootstrap([
      { rangeId: SYSTEM_RANGE_ID, keyspaces: "system", voters: [first.id] },
      { rangeId: USER_RANGE_ID, keyspaces: "user", voters: [first.id] },
    ]);
    await this.leaderOf(USER_RANGE_ID);
    return nodes;
  }

  /**
   * As `bootstrapped`, then the meta range and the user range replicated to
   * every node given (as voters).
   */
  async replicated(...ids: number[]): Promise<TestNode[]> {
    const nodes = await this.bootstrapped(...ids);
    const others = nodes.slice(1).map((n) => ({ type: "add-voter" as const, nodeId: n.id }));
    for (const r of [SYSTEM_RANGE_ID, USER_RANGE_ID])
      await nodes[0]!.host.changeReplicas(r, others);
    return nodes;
  }

  node(id: number): TestNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** The node that leads `rangeId` in the eyes of a live node, once one does. */
  async leaderOf(rangeId: RangeId, timeoutMs = 10_000): Promise<TestNode> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const n of this.nodes.values()) {
        if (n.stopped) continue;
        const info = n.host.rangeInfo(rangeId);
        if (info?.role === "leader") return n;
      }
      if (Date.now() > deadline) throw new Error(`range ${rangeId} has no leader`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(id: number): Promise<void> {
    const n = this.node(id);
    if (n.stopped) return;
    n.stopped = true;
    await n.host.stop();
    await n.bus.close();
    await n.store.close();
  }

  async close(): Promise<void> {
    for (const id of this.nodes.keys()) await this.stop(id);
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Polls `fn` until it returns true, or fails after `timeoutMs`. */
export async function eventually(
  what: string,
  fn: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await fn()) return;
    } catch {
      // Not yet.
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
