/**
 * An in-process `KvService` over the real state machine (`applyWrite`,
 * `executeRead`) and `MemoryKvStore`, for the RESP server's tests: one
 * "replica" with a log index that counts writes, no Raft, no disk.
 *
 * Writes apply in call order, as a single replica's log would, but may resolve
 * after a random delay (`jitterMs`), so tests see replies complete out of order
 * and can check that the server still answers in request order. Reads apply
 * the same delay. `failNext` makes the next call reject with a TesseraError,
 * as a lost quorum would.
 *
 * Routing is recorded, not performed: every call's `RouteOptions` and read
 * level are kept in `routes` and `reads`; with `movedTo` set, a call asking
 * for redirects is refused with MOVED to that address, as a range led
 * elsewhere would be. `rangeTable` is what `ranges()` answers (one range of
 * every key, led by node 1, unless a test sets another).
 */
import {
  applyWrite,
  executeRead,
  findExpiredKeys,
  type KvReply,
  keyspaceStats,
  MemoryKvStore,
  type ReadCommand,
  type WriteCommand,
} from "../../../kv/index.js";
import {
  allDataBounds,
  type Clock,
  type ErrorCode,
  keyHashSlot,
  TesseraError,
} from "../../../lib/index.js";
import type {
  KeyspaceStats,
  KvService,
  RangeSummary,
  ReadConsistency,
  RouteOptions,
  ServiceStatus,
  WriteResult,
} from "../../../range/types.js";

export interface MemoryServiceOptions {
  readonly clock?: Clock;
  /** Upper bound of the random delay before a call resolves; 0 = resolve at once. */
  readonly jitterMs?: number;
}

const SYSTEM_CLOCK: Clock = { nowMs: () => Date.now(), monotonicMs: () => performance.now() };
const EXPIRE_BATCH_KEYS = 1000;

export class MemoryKvService implements KvService {
  readonly store = new MemoryKvStore();
  private index = 0;
  private readonly clock: Clock;
  private readonly jitterMs: number;
  private failure: TesseraError | undefined;
  readonly reads: ReadConsistency[] = [];
  readonly routes: RouteOptions[] = [];
  /** When set, a call with `redirect` is refused with MOVED to this address. */
  movedTo: string | undefined;
  rangeTable: readonly RangeSummary[] = [
    { rangeId: 2, ...allDataBounds(), generation: 1, voters: [1], learners: [], leaderId: 1 },
  ];

  constructor(options: MemoryServiceOptions = {}) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.jitterMs = options.jitterMs ?? 0;
  }

  /** The next write or read rejects with this error. */
  failNext(code: ErrorCode, message: string): void {
    this.failure = new TesseraError(code, message);
  }

  write(cmd: WriteCommand, options: RouteOptions = {}): Promise<WriteResult> {
    const failure = this.takeFailure() ?? this.route(cmd, options);
    if (failure !== undefined) return Promise.reject(failure);
    this.index++;
    const reply = applyWrite(
      cmd,
      { nowMs: this.clock.nowMs(), version: BigInt(this.index) },
      this.store,
    );
    return this.later({ reply, index: this.index });
  }

  read(
    cmd: ReadCommand,
    consistency: ReadConsistency,
    options: RouteOptions = {},
  ): Promise<KvReply> {
    const failure = this.takeFailure() ?? this.route(cmd, options);
    if (failure !== undefined) return Promise.reject(failure);
    this.reads.push(consistency);
    return this.later(executeRead(cmd, { nowMs: this.clock.nowMs() }, this.store));
  }

  ranges(): readonly RangeSummary[] {
    return this.rangeTable;
  }

  waitForReplicas(_index: number, _numReplicas: number, _timeoutMs: number): Promise<number> {
    return Promise.resolve(0);
  }

  /** Writes apply at once here: nothing to wait for. */
  async settled(): Promise<void> {}

  keyspaceStats(): readonly KeyspaceStats[] {
    this.expireDue();
    return keyspaceStats(this.store);
  }

  status(): ServiceStatus {
    return {
      nodeId: 1,
      role: "leader",
      leaderId: 1,
      term: 1,
      commitIndex: this.index,
      appliedIndex: this.index,
      replicas: [],
      storeBytes: 0,
      writesTotal: this.index,
      lastSyncAtMs: this.clock.nowMs(),
    };
  }

  /** Deletes expired keys, as a leader's background expirer would. */
  private expireDue(): void {
    const now = this.clock.nowMs();
    for (const { ks, keys } of findExpiredKeys(this.store, undefined, now, EXPIRE_BATCH_KEYS)) {
      this.index++;
      applyWrite(
        { op: "expire-due", ks, keys },
        { nowMs: now, version: BigInt(this.index) },
        this.store,
      );
    }
  }

  private route(cmd: ReadCommand | WriteCommand, options: RouteOptions): TesseraError | undefined {
    this.routes.push(options);
    if (options.redirect !== true || this.movedTo === undefined || !("key" in cmd))
      return undefined;
    const slot = keyHashSlot(cmd.key);
    return new TesseraError("MOVED", `slot ${slot} is served by ${this.movedTo}`, {
      slot,
      address: this.movedTo,
    });
  }

  private takeFailure(): TesseraError | undefined {
    const f = this.failure;
    this.failure = undefined;
    return f;
  }

  private later<T>(value: T): Promise<T> {
    if (this.jitterMs <= 0) return Promise.resolve(value);
    const delay = Math.random() * this.jitterMs;
    return new Promise((resolve) => setTimeout(() => resolve(value), delay));
  }
}
