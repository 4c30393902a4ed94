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
 * An idle range costs nothing: a look that finds nothing due remembers the
 * earliest expiry left in the index, and the next look waits for that time,
 * for the range to apply anything, or for a new term (thousands of sleeping
 * ranges, quiesce.ts, must not each read the store every tick).
 */
import { findExpiredKeys } from "../kv/index.js";
import { type Clock, decodeExpiryIndexKey, expiryIndexBounds } from "../lib/index.js";
import type { KvView } from "../storage/index.js";
import type { Replica } from "./replica.js";

export interface ExpirerOptions {
  /** Least milliseconds between two looks at the expiry index. */
  readonly intervalMs: number;
  /** Most keys deleted per round. */
  readonly batchKeysMax: number;
}

export class Expirer {
  private inFlight = false;
  private lastRunMs = Number.NEGATIVE_INFINITY;
  private deleted = 0;
  /** What the last look that found nothing due saw (see the file comment). */
  private quiet: { applied: number; term: number; nextDueMs: number } | undefined;

  constructor(
    private readonly replica: Replica,
    private readonly clock: Clock,
    private readonly options: ExpirerOptions,
  ) {}

  /** Keys deleted by this expirer since start. */
  get keysExpiredTotal(): number {
    return this.deleted;
  }

  /** Runs a round if this replica leads, is caught up, and the interval has passed. */
  maybeRun(): void {
    if (this.inFlight || this.replica.raftState !== "leader" || !this.replica.isReady()) return;
    const now = this.clock.monotonicMs();
    if (now - this.lastRunMs < this.options.intervalMs) return;
    const applied = this.replica.appliedIndex;
    const term = this.replica.term;
    const nowMs = this.clock.nowMs();
    const q = this.quiet;
    if (q && q.applied === applied && q.term === term && nowMs < q.nextDueMs) return;
    this.lastRunMs = now;
    // The replica's view holds only its range's expiry index (scoped-view.ts).
    const view = this.replica.view;
    const groups = findExpiredKeys(view, undefined, nowMs, this.options.batchKeysMax);
    if (groups.length === 0) {
      this.quiet = { applied, term, nextDueMs: earliestExpiryMs(view) };
      return;
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
