/**
 * The background expirer of one replica (DESIGN.md §5 TTL): on the leader,
 * it looks up keys whose expiry has passed (through the expiry index, so the
 * cost follows what it finds) and proposes their deletion as `expire-due`
 * entries, like a Redis master sending DEL to its replicas. Apply deletes a key
 * only if it is still expired at the entry's stamp, so a key revived in the
 * meantime survives. Reads never wait for this: expired keys are invisible at
 * once.
 *
 * At most one round of deletions is in flight; a full round (as many keys as
 * `batchKeysMax`) is followed by another at the next run, so a backlog drains
 * one batch per interval without starving clients.
 *
 * A range with nothing due costs nothing: a look that finds nothing due
 * remembers the earliest expiry left in the index, and the next look waits
 * for that time, for the range to apply a write that adds to its expiry index
 * (`Replica.expiryEpoch`; writes without a TTL do not), or for a new term —
 * thousands of sleeping ranges (quiesce.ts), or busy ranges written without
 * TTLs, must not each read the store every tick. `Expirers`
 * keeps a store's expirers and visits, per tick, only those of awake
 * replicas (only they apply entries or change terms) and those whose
 * remembered expiry time has come, taken from a due-time queue.
 */
import { findExpiredKeys } from "../kv/index.js";
import {
  type Clock,
  DueQueue,
  decodeExpiryIndexKey,
  expiryIndexBounds,
  type RangeId,
} from "../lib/index.js";
import type { KvView } from "../storage/index.js";
import type { Replica } from "./replica.js";

export interface ExpirerOptions {
  /** Least milliseconds between two looks at the expiry index. */
  readonly intervalMs: number;
  /** Most keys deleted per round. */
  readonly batchKeysMax: number;
  /** A look found nothing due; the next is due at `nextDueMs` (wall clock; +∞: never by time). */
  readonly onQuiet?: (nextDueMs: number) => void;
}

/** What `maybeRun` did: looked at the index, or not (and why not, when it matters). */
export type ExpirerRun = "looked" | "too-soon" | "idle";

export class Expirer {
  private inFlight = false;
  private lastRunMs = Number.NEGATIVE_INFINITY;
  private deleted = 0;
  private looks = 0;
  /** What the last look that found nothing due saw (see the file comment). */
  private quiet: { epoch: number; term: number; nextDueMs: number } | undefined;

  constructor(
    private readonly replica: Replica,
    private readonly clock: Clock,
    private readonly options: ExpirerOptions,
  ) {}

  /** Keys deleted by this expirer since start. */
  get keysExpiredTotal(): number {
    return this.deleted;
  }

  /** Looks at the expiry index since start. */
  get looksTotal(): number {
    return this.looks;
  }

  /** Runs a round if this replica leads, is caught up, and the interval has passed. */
  maybeRun(): ExpirerRun {
    if (this.inFlight || this.replica.raftState !== "leader" || !this.replica.isReady())
      return "idle";
    const now = this.clock.monotonicMs();
    if (now - this.lastRunMs < this.options.intervalMs) return "too-soon";
    const epoch = this.replica.expiryEpoch;
    const term = this.replica.term;
    const nowMs = this.clock.nowMs();
    const q = this.quiet;
    if (q && q.epoch === epoch && q.term === term && nowMs < q.nextDueMs) return "idle";
    this.lastRunMs = now;
    this.looks++;
    // The replica's view holds only its range's expiry index (scoped-view.ts).
    const view = this.replica.view;
    const groups = findExpiredKeys(view, undefined, nowMs, this.options.batchKeysMax);
    if (groups.length === 0) {
      const nextDueMs = earliestExpiryMs(view);
      this.quiet = { epoch, term, nextDueMs };
      this.options.onQuiet?.(nextDueMs);
      return "looked";
    }
    this.quiet = undefined;
    this.inFlight = true;
    const writes = groups.map((g) =>
      this.replica.write({ op: "expire-due", ks: g.ks, keys: g.keys }),
    );
    void Promise.allSettled(writes).then((results) => {
      this.inFlight = false;
      for (const r of results) {
        if (r.status === "fulfilled" && r.value.reply.t === "int")
          this.deleted += Number(r.value.reply.v);
      }
    });
    return "looked";
  }
}

/** How often every expirer is visited anyway (a look missed by the queue is at most this late). */
export const EXPIRER_SWEEP_MS = 10_000;

/**
 * The expirers of one store (see the file comment): each tick visits the
 * awake replicas' expirers and those due by time, and every
 * `EXPIRER_SWEEP_MS` all of them, so the cost of a tick follows the awake
 * ranges and the expiries that come due, not the ranges held.
 */
export class Expirers {
  private readonly byRange = new Map<RangeId, Expirer>();
  private readonly due = new DueQueue<RangeId>();
  /** Each range's live entry in `due` (others there are stale: skipped when taken). */
  private readonly queued = new Map<RangeId, number>();
  private lastSweepMs: number;

  constructor(private readonly clock: Clock) {
    this.lastSweepMs = clock.monotonicMs();
  }

  /** Adds (or replaces) range `id`'s expirer, made with an `onQuiet` that queues it. */
  add(id: RangeId, make: (onQuiet: (nextDueMs: number) => void) => Expirer): void {
    this.byRange.set(
      id,
      make((nextDueMs) => {
        if (this.queued.get(id) === nextDueMs) return;
        if (!Number.isFinite(nextDueMs)) {
          this.queued.delete(id);
          return;
        }
        this.queued.set(id, nextDueMs);
        this.due.push(nextDueMs, id);
      }),
    );
  }

  delete(id: RangeId): void {
    this.byRange.delete(id);
    this.queued.delete(id);
  }

  /** Keys deleted by every expirer here since start. */
  get keysExpiredTotal(): number {
    let n = 0;
    for (const e of this.byRange.values()) n += e.keysExpiredTotal;
    return n;
  }

  /** Looks at an expiry index by every expirer here since start. */
  get looksTotal(): number {
    let n = 0;
    for (const e of this.byRange.values()) n += e.looksTotal;
    return n;
  }

  /** One tick: the expirers of `awake` replicas, those due by time, and all of them once per sweep. */
  tick(awake: Iterable<{ readonly rangeId: RangeId }>): void {
    const now = this.clock.monotonicMs();
    if (now - this.lastSweepMs >= EXPIRER_SWEEP_MS) {
      this.lastSweepMs = now;
      for (const e of this.byRange.values()) e.maybeRun();
    } else {
      for (const r of awake) this.byRange.get(r.rangeId)?.maybeRun();
    }
    const wallMs = this.clock.nowMs();
    // An expirer that looked too recently is queued again for the next tick
    // (after the loop, or this loop would take it again at once).
    const again: { atMs: number; item: RangeId }[] = [];
    for (let d = this.due.popDue(wallMs); d !== undefined; d = this.due.popDue(wallMs)) {
      // Stale: the range is gone, or its expirer looked since and queued another time.
      if (this.queued.get(d.item) !== d.atMs) continue;
      this.queued.delete(d.item);
      const e = this.byRange.get(d.item);
      if (e?.maybeRun() === "too-soon") again.push(d);
    }
    for (const d of again) {
      if (this.queued.has(d.item)) continue;
      this.queued.set(d.item, d.atMs);
      this.due.push(d.atMs, d.item);
    }
  }
}

/** The earliest expiry time in `view`'s expiry index (+∞ when it is empty): one seek per keyspace. */
function earliestExpiryMs(view: KvView): number {
  const all = expiryIndexBounds(undefined);
  let earliest = Number.POSITIVE_INFINITY;
  let from = all.start;
  for (;;) {
    let first: Uint8Array | undefined;
    for (const e of view.scan(from, all.end, 1)) first = e.key;
    if (first === undefined) return earliest;
    const d = decodeExpiryIndexKey(first);
    earliest = Math.min(earliest, d.expiresAtMs);
    from = expiryIndexBounds(d.ks).end;
  }
}
