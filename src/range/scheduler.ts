/**
 * `StoreScheduler`: the driver of every replica of one store — the Ready loop
 * and the tick timer (STYLE.md: the one async driver of its layer).
 *
 * Each round drains the Ready of every replica with work into ONE StoreBatch,
 * commits it (one LMDB transaction, one fsync, off the event loop), then lets
 * each replica finish (resolve writes, serve reads, advance) and sends the
 * messages it returns. While a commit is in flight new proposals accumulate in
 * Raft, so the next round carries all of them: group commit grows with load.
 * Rounds start from `timers.soon`, so the proposals of one event-loop turn
 * (a pipelined burst) share a round. Messages of a round are sent only after
 * its batch is durable (Raft's rule: persist, then send).
 *
 * Ticks drive every replica each `tickMs`. (Quiescence — not ticking idle
 * ranges — belongs in `tick`: skip a replica that reports itself quiet.)
 *
 * A replica that learned it was removed from its range is destroyed in the
 * next round: its span's data and its Raft state are deleted in that round's
 * batch, and it leaves the scheduler once the batch is durable.
 *
 * A failed commit is fatal (the store's state and Raft's would diverge): the
 * scheduler stops and reports it to `onFatal`.
 */
import {
  type Clock,
  type RangeId,
  TesseraError,
  type TimerHandle,
  type Timers,
} from "../lib/index.js";
import type { Store } from "../storage/index.js";
import type { CollectedReady, Replica } from "./replica.js";
import type { RaftTransport } from "./transport.js";

export interface SchedulerOptions {
  /** Milliseconds per Raft tick. */
  readonly tickMs: number;
  readonly timers: Timers;
  readonly clock: Clock;
  /** Called after a removed replica's state was deleted. */
  readonly onDestroyed?: (rangeId: RangeId) => void;
  readonly transport: RaftTransport;
  /** Called once with the error that stopped the scheduler. */
  readonly onFatal: (error: unknown) => void;
  /** Called on every tick after the replicas ticked (background work: expiry). */
  readonly onTick?: () => void;
}

export interface SchedulerStats {
  readonly roundsTotal: number;
  /** Rounds that committed a batch (each one fsync). */
  readonly batchesTotal: number;
  /** Ready structs processed over all batches (ranges × rounds). */
  readonly readiesTotal: number;
}

export class StoreScheduler {
  private readonly replicas = new Map<RangeId, Replica>();
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private scheduled = false;
  private again = false;
  private stopped = false;
  private rounds = 0;
  private batches = 0;
  private readies = 0;

  constructor(
    private readonly store: Store,
    private readonly options: SchedulerOptions,
  ) {}

  add(replica: Replica): void {
    this.replicas.set(replica.rangeId, replica);
  }

  /** Drops a replica without touching its stored state (an uninitialized one). */
  remove(rangeId: RangeId): void {
    this.replicas.delete(rangeId);
  }

  replica(rangeId: RangeId): Replica | undefined {
    return this.replicas.get(rangeId);
  }

  all(): Iterable<Replica> {
    return this.replicas.values();
  }

  start(): void {
    this.timer = this.options.timers.every(this.options.tickMs, () => this.tick());
    this.wake();
  }

  /** Asks for a round soon; rounds never overlap. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    this.options.timers.soon(() => {
      this.scheduled = false;
      if (!this.stopped && !this.running)
        this.running = this.loop().finally(() => (this.running = undefined));
    });
  }

  /** Waits until no replica has writes pending, or `timeoutMs` passed. */
  async drain(timeoutMs: number): Promise<void> {
    const clock = this.options.clock;
    const deadline = clock.monotonicMs() + timeoutMs;
    while (clock.monotonicMs() < deadline) {
      let pending = 0;
      for (const r of this.replicas.values()) pending += r.pendingWrites;
      if (pending === 0) return;
      await new Promise<void>((r) => this.options.timers.after(10, r));
    }
  }

  /** Stops ticking and rounds; fails whatever still waits with SHUTTING_DOWN. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.running;
    const error = new TesseraError("SHUTTING_DOWN", "the node is shutting down");
    for (const r of this.replicas.values()) r.close(error);
  }

  stats(): SchedulerStats {
    return { roundsTotal: this.rounds, batchesTotal: this.batches, readiesTotal: this.readies };
  }

  private tick(): void {
    for (const r of this.replicas.values()) r.tick();
    this.options.onTick?.();
    this.wake();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.round();
      } while (!this.stopped && (this.again || this.anyWork()));
    } catch (e) {
      this.stopped = true;
      this.timer?.cancel();
      for (const r of this.replicas.values()) {
        r.close(new TesseraError("INTERNAL", "the store failed; this node is stopping"));
      }
      this.options.onFatal(e);
    }
  }

  private anyWork(): boolean {
    for (const r of this.replicas.values()) if (r.hasWork() || r.isRemoved) return true;
    return false;
  }

  private async round(): Promise<void> {
    this.rounds++;
    for (const r of this.replicas.values()) r.requestReads();
    const batch = this.store.newBatch();
    const work: [Replica, CollectedReady][] = [];
    const destroyed: Replica[] = [];
    for (const r of this.replicas.values()) {
      if (r.isRemoved) {
        destroyed.push(r);
        continue;
      }
      const c = r.collect(batch);
      if (c) work.push([r, c]);
    }
    for (const r of destroyed) {
      // Writes still waiting here may have reached the log and may yet commit
      // under another leader: their outcome is unknown (TIMEOUT), never a
      // refusal a forwarder could retry (that would apply them twice).
      r.close(
        new TesseraError(
          "TIMEOUT",
          `range ${r.rangeId} was removed from this node while requests were pending; their outcome is unknown`,
        ),
      );
      this.replicas.delete(r.rangeId);
      const log = this.store.logStorage(r.rangeId);
      batch.destroyRange(log, r.spans, () => {
        this.store.forgetRange(r.rangeId);
        this.options.onDestroyed?.(r.rangeId);
      });
    }
    if (work.length === 0 && destroyed.length === 0) return;
    if (!batch.isEmpty) {
      await this.store.commit(batch);
      this.batches++;
    }
    this.readies += work.length;
    for (const [r, c] of work) this.options.transport.send(r.rangeId, r.finish(c));
  }
}
