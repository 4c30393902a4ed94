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
 */
import { findExpiredKeys } from "../kv/index.js";
import { type Clock, SYSTEM_KEYSPACE_ID } from "../lib/index.js";
import type { KvView } from "../storage/index.js";
import type { Replica } from "./replica.js";

export interface ExpirerOptions {
  /** Least milliseconds between two looks at the expiry index. */
  readonly intervalMs: number;
  /** Most keys deleted per round. */
  readonly batchKeysMax: number;
  /** The replica's range owns the system keyspace (else: every user keyspace). */
  readonly system: boolean;
}

export class Expirer {
  private inFlight = false;
  private lastRunMs = Number.NEGATIVE_INFINITY;
  private deleted = 0;

  constructor(
    private readonly replica: Replica,
    private readonly view: KvView,
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
    this.lastRunMs = now;
    const groups = findExpiredKeys(
      this.view,
      this.options.system ? SYSTEM_KEYSPACE_ID : undefined,
      this.clock.nowMs(),
      this.options.batchKeysMax,
    ).filter((g) => this.options.system || g.ks !== SYSTEM_KEYSPACE_ID);
    if (groups.length === 0) return;
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
