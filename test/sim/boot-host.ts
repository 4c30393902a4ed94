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
 *   the range's voters (read back from each voter's durable disk state, or, for
 *   a replica destroyed after its removal, from its log as it was then).
 */
import type { KvReply } from "../../src/kv/index.js";
import {
  keyspaceId,
  type NodeId,
  type RangeId,
  rangeDescriptorKey,
  slotBoundaryKey,
  rangeId as toRangeId,
} from "../../src/lib/index.js";
import {
  decodeDescriptor,
  descriptorSpans,
  StoreHost,
  type StoreHostLimits,
  SYSTEM_RANGE_ID,
  type TestingKnobs,
  USER_RANGE_ID,
} from "../../src/range/index.js";
import { IDENTITY_KEY, type StorageEngine, Store } from "../../src/storage/index.js";
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
const IDENTITY = new TextEncoder().encode(IDENTITY_KEY);
/** The key intervals range `r` owns in `store` as of its applied state (its descriptor's spans). */
function spansOf(store: Store, r: RangeId) {
  const raw = store.kvView().get(rangeDescriptorKey(r));
  return raw === undefined ? [] : descriptorSpans(decodeDescriptor(raw));
}
export const HOST_RANGES: readonly RangeId[] = [SYSTEM_RANGE_ID, USER_RANGE_ID];

export interface HostBootConfig {
  /** Every node of the simulated cluster. */
  readonly nodes: readonly NodeId[];
  readonly initialVoters: readonly NodeId[];
  readonly monitor: SafetyMonitor;
  readonly knob: Knob | undefined;
  /** The durable state of a node's disk now, as an engine. */
  readonly durableView: (id: NodeId) => StorageEngine;
}

/**
 * The durable log of a replica destroyed because it was removed from its range,
 * as it was the moment the replica went: what the node held while it was a member.
 */
export interface RemovedLog {
  readonly first: number;
  readonly applied: number;
  /** The term at `first + i`. */
  readonly terms: readonly number[];
}

/**
 * The term of `index` in `range`'s log as durable on `engine` (-1: applied and
 * compacted; undefined: absent). A range the disk no longer holds answers from
 * `removed`, the log its replica had when it was destroyed after its removal.
 */
export function durableTermAt(
  engine: StorageEngine,
  id: NodeId,
  range: RangeId,
  index: number,
  removed?: RemovedLog,
): number | undefined {
  try {
    const store = Store.openEngine(engine, {
      create: { clusterId: CLUSTER_ID, nodeId: id, nowMs: 0 },
    });
    if (!store.hasRange(range)) {
      if (removed === undefined) return undefined;
      if (index < removed.first) return removed.applied >= index ? -1 : undefined;
      return removed.terms[index - removed.first];
    }
    const log = store.logStorage(range);
    if (index < log.firstIndex()) return log.applied().index >= index ? -1 : undefined;
    return index <= log.lastIndex() ? log.term(index as never) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The durable log of `range` on `engine`, read as its replica goes (removed
 * from the range, dropped by a merge, or collected as stale); undefined if the
 * disk no longer holds it.
 */
function removedLogOf(engine: StorageEngine, id: NodeId, range: RangeId): RemovedLog | undefined {
  try {
    const store = Store.openEngine(engine, {
      create: { clusterId: CLUSTER_ID, nodeId: id, nowMs: 0 },
    });
    if (!store.hasRange(range)) return undefined;
    const log = store.logStorage(range);
    const terms: number[] = [];
    for (let i = log.firstIndex(); i <= log.lastIndex(); i++) terms.push(log.term(i as never));
    return { first: log.firstIndex(), applied: log.applied().index, terms };
  } catch {
    return undefined;
  }
}

const SIM_SPAN_CHUNK_LIMITS = { keys: 4, bytes: 2048 };
/**
 * A small log journal, so that runs move it to the ranges' logs often (and
 * crash between moves): with the real bounds a seed would never fill it.
 * Entries over 128 bytes (commands with bigger values, splits, configuration
 * changes) go to their ranges' logs directly.
 */
const SIM_JOURNAL_LIMITS = {
  recordsMax: 24,
  bytesMax: 16 * 1024,
  entryBytesMax: 128,
  appendEntriesMax: 3,
};

export function bootHost(cfg: HostBootConfig): Boot {
  const knobs: TestingKnobs = {
    ackBeforeSync: cfg.knob === "ackBeforeSync",
    skipAppliedIndex: cfg.knob === "skipAppliedIndex",
  };
  /**
   * Per node and range, the log a replica durably held when it was destroyed after
   * applying its own removal. A write the old configuration committed counts that
   * copy: the entry was on a quorum when committed, and a replica that has left may
   * delete its log before the acknowledgement reaches the client (the check below
   * runs where the client is, after a forwarding hop).
   */
  const removedLogs = new Map<NodeId, Map<RangeId, RemovedLog>>();
  return (ctx) => {
    // Like the real node (`storeExists(dataDir)` in node-identity.ts), only an empty disk
    // bootstraps: a node removed from every range has a store with no ranges, and must not
    // bootstrap a second cluster of its own when it restarts.
    const fresh = ctx.engine.db("meta").get(IDENTITY) === undefined;
    const store = Store.openEngine(ctx.engine, {
      create: { clusterId: CLUSTER_ID, nodeId: ctx.id, nowMs: ctx.clock.nowMs() },
      clock: ctx.clock,
      journalLimits: SIM_JOURNAL_LIMITS,
    });
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
      // Small, so the simulated ranges' snapshots are written ahead of their install
      // and removed replicas' data cleared in several transactions, which a crash can split.
      spanChunkLimits: SIM_SPAN_CHUNK_LIMITS,
    });
    // What the cluster layer gives a real node: its peers, to ask for a range's
    // leader while it holds no replica of the range (not yet, or no longer).
    host.setPeerCandidates(() => cfg.nodes);
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
    /** Ranges this incarnation hosted at the last step. */
    const hosted = new Set<RangeId>();
    const runtime: NodeRuntime = {
      async write(cmd): Promise<KvReply> {
        const res = await host.service.write(cmd);
        if (!stopped) checkAck(toRangeId(res.rangeId ?? USER_RANGE_ID), res.index);
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
      uninitialized: () => host.uninitializedRangeIds(),
      observe: () => {
        const ids = host.rangeIds();
        for (const r of hosted) {
          if (ids.includes(r)) continue;
          // Destroyed since the last step (in the step that applied its removal, so
          // its disk still holds the log: the deletion is not durable yet).
          hosted.delete(r);
          // A replica dropped by a merge goes in the batch that is already durable
          // when it vanishes here: what is known of it is the applied index last
          // seen durable (a merge waits for every replica of the right-hand range
          // to apply all of it first).
          const applied = lastApplied.get(r);
          const removed =
            removedLogOf(cfg.durableView(ctx.id), ctx.id, r) ??
            (applied === undefined ? undefined : { first: applied + 1, applied, terms: [] });
          lastApplied.delete(r);
          if (removed) {
            const byRange = removedLogs.get(ctx.id) ?? new Map<RangeId, RemovedLog>();
            byRange.set(r, removed);
            removedLogs.set(ctx.id, byRange);
          }
        }
        for (const r of ids) hosted.add(r);
        for (const r of ids) {
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
      merge: async (pick) => {
        await host.refreshDirectory().catch(() => undefined);
        const user = host.service
          .ranges()
          .filter((r) => r.rangeId !== 1 && r.start[0] === 0x01)
          .sort((a, b) => Buffer.compare(Buffer.from(a.start), Buffer.from(b.start)));
        if (user.length < 2) throw new Error("nothing to merge");
        const i = 1 + (pick % (user.length - 1));
        const left = user[i - 1]!;
        const right = user[i]!;
        await host.merge(toRangeId(left.rangeId), toRangeId(right.rangeId));
        return right.rangeId;
      },
      split: async (slot) => {
        const key = slotBoundaryKey(keyspaceId(0), slot);
        await host.refreshDirectory().catch(() => undefined);
        const owner = host.service
          .ranges()
          .find(
            (r) =>
              Buffer.compare(Buffer.from(r.start), Buffer.from(key)) < 0 &&
              Buffer.compare(Buffer.from(key), Buffer.from(r.end)) < 0,
          );
        if (owner === undefined) throw new Error(`no range holds slot ${slot} inside it`);
        return host.split(toRangeId(owner.rangeId), key);
      },
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
        const snap = d.readSnapshot(r, spansOf(d, r));
        if (snap.applied.index === lastApplied.get(r)) return undefined;
        let h = 0x811c9dc5;
        for (const e of snap.entries) h = fnv1a(e.value, fnv1a(e.key, h));
        return { index: snap.applied.index, digest: h };
      } catch {
        return undefined;
      }
    }

    function digestOf(r: RangeId): number {
      let h = 0x811c9dc5;
      // A range merged away in a batch not yet durable has no state left to read.
      if (!store.hasRange(r)) return h;
      for (const e of store.readSnapshot(r, spansOf(store, r)).entries)
        h = fnv1a(e.value, fnv1a(e.key, h));
      return h;
    }
    function checkAck(range: RangeId, index: number): void {
      // The voters the answering replica counts now: a change it applied in the
      // same event as this answer (round after round, no step between) is not
      // observed yet, and the write may have committed under it.
      const info = host.rangeInfo(range);
      if (info) cfg.monitor.sawVoters(range, info.voters);
      const memo = new Map<NodeId, number | undefined>();
      const termOf = (v: NodeId): number | undefined => {
        if (!memo.has(v)) {
          const removed = removedLogs.get(v)?.get(range);
          memo.set(v, durableTermAt(cfg.durableView(v), v, range, index, removed));
        }
        return memo.get(v);
      };
      cfg.monitor.checkAck(range, index, termOf, ctx.id);
    }
    return runtime;
  };
}
