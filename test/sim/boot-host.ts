/**
 * Boots a host-level simulated node: Tessera's real `Store` over the node's
 * `SimEngine` and its real `StoreHost` (replicas, scheduler, forwarding,
 * membership, snapshots) with the simulated bus, timers, clock and rng. The
 * clients go through `host.service`, exactly as the RESP server does.
 *
 * What the simulator watches here, through public surfaces only:
 * - `rangeInfo` after every step (election safety, in run-seed.ts);
 * - the store's applied state of the whole keyspace at each applied index
 *   (state-machine safety: equal applied indexes, equal digests);
 * - at each acknowledged write, that its log entry is durable on a quorum of
 *   the range's voters (read back from each voter's durable disk state).
 */
import type { KvReply } from "../../src/kv/index.js";
import type { NodeId, RangeId } from "../../src/lib/index.js";
import {
  StoreHost,
  type StoreHostLimits,
  SYSTEM_RANGE_ID,
  type TestingKnobs,
  USER_RANGE_ID,
} from "../../src/range/index.js";
import { type StorageEngine, Store } from "../../src/storage/index.js";
import { fnv1a } from "./journal.js";
import type { Knob } from "./knobs.js";
import type { SafetyMonitor } from "./monitor.js";
import type { Boot, NodeRuntime } from "./sim-node.js";

export const HOST_LIMITS: StoreHostLimits = {
  proposalsPendingMax: 1000,
  proposalBytesMax: 1024 * 1024,
  proposalTimeoutMs: 3000,
  readTimeoutMs: 3000,
  expireBatchKeysMax: 100,
};

const silent = { info() {}, warn() {}, error() {} };
const CLUSTER_ID = "sim";
const ALL_KEYS = [{ start: new Uint8Array(), end: new Uint8Array([0xff, 0xff, 0xff, 0xff]) }];
export const HOST_RANGES: readonly RangeId[] = [SYSTEM_RANGE_ID, USER_RANGE_ID];

export interface HostBootConfig {
  readonly initialVoters: readonly NodeId[];
  readonly monitor: SafetyMonitor;
  readonly knob: Knob | undefined;
  /** The durable state of a node's disk now, as an engine. */
  readonly durableView: (id: NodeId) => StorageEngine;
}

/** The term of `index` in `range`'s log as durable on `engine` (-1: applied and compacted; undefined: absent). */
export function durableTermAt(
  engine: StorageEngine,
  id: NodeId,
  range: RangeId,
  index: number,
): number | undefined {
  try {
    const store = Store.openEngine(engine, {
      create: { clusterId: CLUSTER_ID, nodeId: id, nowMs: 0 },
    });
    if (!store.hasRange(range)) return undefined;
    const log = store.logStorage(range);
    if (index < log.firstIndex()) return log.applied().index >= index ? -1 : undefined;
    return index <= log.lastIndex() ? log.term(index as never) : undefined;
  } catch {
    return undefined;
  }
}

export function bootHost(cfg: HostBootConfig): Boot {
  const knobs: TestingKnobs = {
    ackBeforeSync: cfg.knob === "ackBeforeSync",
    skipAppliedIndex: cfg.knob === "skipAppliedIndex",
  };
  return (ctx) => {
    const store = Store.openEngine(ctx.engine, {
      create: { clusterId: CLUSTER_ID, nodeId: ctx.id, nowMs: ctx.clock.nowMs() },
      clock: ctx.clock,
    });
    const fresh = store.rangeIds().length === 0;
    const host = StoreHost.start({
      store,
      nodeId: ctx.id,
      bus: ctx.bus,
      timers: ctx.timers,
      clock: ctx.clock,
      rng: ctx.rng,
      limits: HOST_LIMITS,
      raftTiming: { tickMs: 100, electionTick: 10, heartbeatTick: 1 },
      knobs,
      log: silent,
      leaderWaitMs: 1000,
      onFatal: ctx.onFatal,
    });
    if (fresh && cfg.initialVoters.includes(ctx.id)) {
      host
        .bootstrap(
          HOST_RANGES.map((r) => ({
            rangeId: r,
            keyspaces: r === SYSTEM_RANGE_ID ? "system" : "user",
            voters: cfg.initialVoters,
          })),
        )
        .catch(ctx.onFatal);
    }
    const lastApplied = new Map<RangeId, number>();
    const leaderTerm = new Map<RangeId, number>();
    let stopped = false;
    const runtime: NodeRuntime = {
      async write(cmd): Promise<KvReply> {
        const res = await host.service.write(cmd);
        if (!stopped) checkAck(res.index);
        return res.reply;
      },
      read: (cmd) => host.service.read(cmd, "strong"),
      ranges: () =>
        host.rangeIds().map((r) => {
          const info = host.rangeInfo(r);
          return {
            range: r,
            applied: info?.applied ?? 0,
            commit: info?.commit ?? 0,
            digest: digestOf(r),
            isLeader: info?.role === "leader",
            members: [...(info?.voters ?? []), ...(info?.learners ?? [])],
          };
        }),
      observe: () => {
        for (const r of host.rangeIds()) {
          const info = host.rangeInfo(r);
          if (!info) continue;
          cfg.monitor.sawVoters(r, info.voters);
          if (info.role === "leader" && leaderTerm.get(r) !== info.term) {
            leaderTerm.set(r, info.term);
            ctx.note(`leader of range ${r} term ${info.term}`);
            const log = store.logStorage(r);
            cfg.monitor.leader(r, info.term, ctx.id, (i) => {
              try {
                return i >= log.firstIndex() && i <= log.lastIndex()
                  ? log.term(i as never)
                  : undefined;
              } catch {
                return undefined;
              }
            });
          }
          // The applied state is compared once durable: a lone voter's applied but
          // unsynced state may vanish in a crash (nothing of it was acknowledged).
          if ((lastApplied.get(r) ?? -1) < info.applied) {
            const durable = durableSnapshot(r);
            if (durable) {
              lastApplied.set(r, durable.index);
              cfg.monitor.appliedState(r, durable.index, durable.digest, ctx.id);
            }
          }
        }
      },
      voters: (r) => host.rangeInfo(r as RangeId)?.voters ?? [],
      changeReplicas: (r, change) => host.changeReplicas(r as RangeId, [change]),
      stop: () => {
        stopped = true;
      },
    };
    function durableSnapshot(r: RangeId): { index: number; digest: number } | undefined {
      try {
        const d = Store.openEngine(cfg.durableView(ctx.id), {
          create: { clusterId: CLUSTER_ID, nodeId: ctx.id, nowMs: 0 },
        });
        if (!d.hasRange(r)) return undefined;
        const snap = d.readSnapshot(r, r === USER_RANGE_ID ? ALL_KEYS : []);
        if (snap.applied.index === lastApplied.get(r)) return undefined;
        let h = 0x811c9dc5;
        for (const e of snap.entries) h = fnv1a(e.value, fnv1a(e.key, h));
        return { index: snap.applied.index, digest: h };
      } catch {
        return undefined;
      }
    }

    function digestOf(r: RangeId): number {
      if (r !== USER_RANGE_ID) return 0;
      let h = 0x811c9dc5;
      for (const e of store.readSnapshot(r, ALL_KEYS).entries) h = fnv1a(e.value, fnv1a(e.key, h));
      return h;
    }
    function checkAck(index: number): void {
      const memo = new Map<NodeId, number | undefined>();
      const termOf = (v: NodeId): number | undefined => {
        if (!memo.has(v)) memo.set(v, durableTermAt(cfg.durableView(v), v, USER_RANGE_ID, index));
        return memo.get(v);
      };
      cfg.monitor.checkAck(USER_RANGE_ID, index, termOf, ctx.id);
    }
    return runtime;
  };
}
