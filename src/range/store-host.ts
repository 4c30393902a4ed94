/**
 * `StoreHost`: everything a store runs — its replicas (one per range it
 * hosts, keyed by range id), their scheduler, their expirers and the
 * `KvService` over them. Starting a host on a new store bootstraps range 1
 * (all keys) with this node as its only voter; on an existing store it
 * restarts every range from its durable state (hard state, log, applied
 * index), so committed entries not yet applied are applied again exactly once.
 */
import { randomInt } from "node:crypto";
import {
  type Clock,
  HlcClock,
  META_RANGE_ID,
  type NodeId,
  SeededRng,
  TesseraError,
} from "../lib/index.js";
import { EMPTY_CONF_STATE } from "../raft/index.js";
import type { LmdbStore } from "../storage/index.js";
import { Expirer } from "./expirer.js";
import { ReplicatedKvService } from "./kv-service.js";
import { Replica } from "./replica.js";
import { DEFAULT_RAFT_TIMING, type RaftTiming, type ReplicaLimits } from "./replica-options.js";
import { StoreScheduler } from "./scheduler.js";
import { LoneNodeTransport, type RaftTransport } from "./transport.js";
import type { KvService } from "./types.js";

export interface StoreHostLimits extends ReplicaLimits {
  /** Most expired keys one background deletion removes. */
  readonly expireBatchKeysMax: number;
}

export interface StoreHostOptions {
  readonly store: LmdbStore;
  readonly clock: Clock;
  readonly limits: StoreHostLimits;
  /** Milliseconds per Raft tick (default 100). */
  readonly tickMs?: number;
  readonly timing?: RaftTiming;
  readonly transport?: RaftTransport;
  /** The store failed: the node must stop. */
  readonly onFatal: (error: unknown) => void;
  /** Seed of Raft's randomness (default: random). */
  readonly seed?: number;
  /** See ReplicaOptions.localReadsWhenAlone (default true). */
  readonly localReadsWhenAlone?: boolean;
  /** See ReplicaOptions.logEntriesKeep. */
  readonly logEntriesKeep?: number;
}

export interface StoreHostStats {
  readonly batchesTotal: number;
  readonly readiesTotal: number;
  readonly keysExpiredTotal: number;
  readonly pendingWrites: number;
}

const TICK_MS_DEFAULT = 100;

export class StoreHost {
  readonly service: KvService;
  readonly nodeId: NodeId;
  private readonly scheduler: StoreScheduler;
  private readonly expirers: Expirer[] = [];

  private constructor(private readonly options: StoreHostOptions) {
    const { store, clock } = options;
    this.nodeId = store.identity.nodeId;
    if (store.rangeIds().length === 0) {
      store.bootstrapRange(META_RANGE_ID, { ...EMPTY_CONF_STATE, voters: [this.nodeId] });
    }
    this.scheduler = new StoreScheduler(store, {
      tickMs: options.tickMs ?? TICK_MS_DEFAULT,
      transport: options.transport ?? new LoneNodeTransport(),
      onFatal: options.onFatal,
      onTick: () => {
        for (const e of this.expirers) e.maybeRun();
      },
    });
    const rng = new SeededRng(options.seed ?? randomInt(0, 0x7fff_ffff));
    const hlc = new HlcClock();
    for (const rangeId of store.rangeIds()) {
      const replica = new Replica({
        rangeId,
        nodeId: this.nodeId,
        log: store.logStorage(rangeId),
        view: store.kvView(),
        clock,
        hlc,
        rng: rng.fork(),
        limits: options.limits,
        timing: options.timing ?? DEFAULT_RAFT_TIMING,
        wake: () => this.scheduler.wake(),
        ...(options.logEntriesKeep !== undefined ? { logEntriesKeep: options.logEntriesKeep } : {}),
        ...(options.localReadsWhenAlone !== undefined
          ? { localReadsWhenAlone: options.localReadsWhenAlone }
          : {}),
      });
      this.scheduler.add(replica);
      this.expirers.push(
        new Expirer(replica, store.kvView(), clock, {
          intervalMs: options.tickMs ?? TICK_MS_DEFAULT,
          batchKeysMax: options.limits.expireBatchKeysMax,
        }),
      );
    }
    this.service = new ReplicatedKvService(this.nodeId, store, this.scheduler);
  }

  /** Starts the replicas of `options.store` (bootstrapping range 1 on a new store). */
  static start(options: StoreHostOptions): StoreHost {
    const host = new StoreHost(options);
    host.scheduler.start();
    for (const r of host.scheduler.all()) r.campaignIfAlone();
    return host;
  }

  /** Every range has a leader and has applied everything committed. */
  isReady(): boolean {
    for (const r of this.scheduler.all()) if (!r.isReady()) return false;
    return true;
  }

  /** Resolves when ready; rejects with UNAVAILABLE after `timeoutMs`. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = this.options.clock.monotonicMs() + timeoutMs;
    while (!this.isReady()) {
      if (this.options.clock.monotonicMs() > deadline) {
        throw new TesseraError("UNAVAILABLE", `ranges not ready within ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  stats(): StoreHostStats {
    const s = this.scheduler.stats();
    let pendingWrites = 0;
    for (const r of this.scheduler.all()) pendingWrites += r.pendingWrites;
    let keysExpiredTotal = 0;
    for (const e of this.expirers) keysExpiredTotal += e.keysExpiredTotal;
    return {
      batchesTotal: s.batchesTotal,
      readiesTotal: s.readiesTotal,
      keysExpiredTotal,
      pendingWrites,
    };
  }

  /** Lets in-flight writes finish (up to `drainMs`), then stops; the store stays open. */
  async stop(drainMs: number): Promise<void> {
    await this.scheduler.drain(drainMs);
    await this.scheduler.stop();
  }
}
