/**
 * `StoreScheduler`: the driver of every replica of one store — the Ready loop
 * and the tick timer (STYLE.md: the one async driver of its layer).
 *
 * Each round drains the Ready of every replica with work into ONE StoreBatch,
 * commits it (one LMDB transaction, one fsync, off the event loop), then lets
 * each replica finish (resolve what waits, serve reads, advance) and sends the
 * messages it returns; the kv writes a round applies are answered earlier, as
 * soon as its transaction ran (replica.ts `answerApplied`). While a commit is
 * in flight new proposals accumulate in Raft, so the next round carries all
 * of them: group commit grows with load.
 * Rounds start from `timers.soon`, so the proposals of one event-loop turn
 * (a pipelined burst) share a round. Messages of a round are sent only after
 * its batch is durable (Raft's rule: persist, then send), except a leader's
 * appends, which go out as soon as the round is collected so that the
 * leader's fsync and its followers' overlap (Raft thesis §10.2.1, as etcd's
 * server does; why it is safe: `CollectedReady.early`). Rounds never overlap,
 * so whatever a round's messages say is committed was durable on the leader
 * before the round began.
 *
 * A round that carried the Readies of many ranges (`GATHER_READIES_MIN`:
 * many ranges with about a write each, the shape of a load spread over
 * many ranges) is followed by a pause of `GATHER_MS` before the next, so that
 * the next gathers more: a round's fixed cost (an LMDB commit and its fsync)
 * is then shared by more writes. With 64 busy ranges this took a quarter of
 * the store commits and 11–24 % of the CPU per write off (bench:micro and the
 * 3-process bench, README). A round of few ranges
 * (one busy range, or a light load) is followed by the next at once: there a
 * pause would only add latency.
 *
 * Work is tracked, not searched for, so an idle store costs little however
 * many ranges it hosts: a replica asks for a round with `wake(rangeId)`
 * (proposal, read, message, ...), which puts it in the dirty set, and a round
 * looks only at dirty replicas (a replica left with work stays dirty). Ticks
 * drive only the awake replicas, every `tickMs`: an idle range's leader puts
 * its range to sleep (quiesce.ts) and the scheduler stops ticking it until
 * something wakes it. `PeerLiveness` (quiesce-liveness.ts) pings the peers
 * that share a sleeping range once per tick and wakes the sleeping followers
 * of a node that fell silent. The cost of a tick is proportional to the awake
 * replicas and the peers, of a round to the replicas with work.
 *
 * A replica that learned it was removed from its range is destroyed in the
 * next round: its span's data and its Raft state are deleted in that round's
 * batch, and it leaves the scheduler once the batch is durable.
 *
 * Ticks keep to the monotonic clock. A timer that fires late (the process was
 * stopped, or the event loop stalled for a long collection) ticks once, but
 * Raft's leases count ticks: a leader stopped for seconds would wake believing
 * its followers answered a tick ago, and serve lease reads from a state a new
 * leader has since moved on from. So `catchUp` counts the tick periods that
 * passed since the last tick and ticks the awake replicas that many times (at
 * most `TICKS_CATCH_UP_ELECTIONS` election timeouts' worth); ticks never run
 * ahead of the clock, so a follower never stops refusing votes early. The
 * timer calls it, and so does whatever may come first after a stop, before it
 * acts: a lease read (`Replica.readPoint`), a round (before it asks Raft for
 * read points), and the Raft messages that arrive (StoreHost), so that the
 * time that passed is counted before what arrived meanwhile.
 *
 * A failed commit is fatal (the store's state and Raft's would diverge): the
 * scheduler stops and reports it to `onFatal`.
 */
import {
  type Clock,
  type NodeId,
  type RangeId,
  rangeRecordKeys,
  TesseraError,
  type TimerHandle,
  type Timers,
} from "../lib/index.js";
import type { Message } from "../raft/index.js";
import {
  decodeRemovedPosition,
  encodeRemovedPosition,
  type LogPosition,
  laterPosition,
  lingeringRangeKey,
  type RangeLogStorage,
  removedRangeKey,
  type Store,
} from "../storage/index.js";
import { LIVENESS_RANGE_ID, PeerLiveness } from "./quiesce-liveness.js";
import type { CollectedReady, Replica } from "./replica.js";
import type { SpanWork } from "./span-work.js";
import type { RaftTransport } from "./transport.js";

/** Readies in a round from which the next round waits `GATHER_MS` (see the header). */
export const GATHER_READIES_MIN = 8;
/** The pause after a round of many ranges' Readies. */
export const GATHER_MS = 1;
/**
 * The most ticks one catch-up runs, in election timeouts: two let a leader
 * that was stopped that long see its lease lapse and CheckQuorum depose it.
 * A longer stop counts as this long (the ticks beyond are dropped, which only
 * delays what they would have set off).
 */
export const TICKS_CATCH_UP_ELECTIONS = 2;

const NO_REPLICAS: ReadonlySet<Replica> = new Set();

/** The last entry `log` holds (its snapshot's position when it holds none). */
function lastPosition(log: RangeLogStorage): LogPosition {
  const index = log.lastIndex();
  return { index, term: log.term(index) };
}

export interface SchedulerOptions {
  /** This node (the sender of liveness pings). */
  readonly nodeId: NodeId;
  /** Milliseconds per Raft tick. */
  readonly tickMs: number;
  /** Ticks of an election timeout: a peer silent this long is presumed down. */
  readonly electionTick: number;
  readonly timers: Timers;
  readonly clock: Clock;
  /** Called after a removed replica's state was deleted (its data is cleared after). */
  readonly onDestroyed?: (rangeId: RangeId) => void;
  /** Clears a removed replica's data, in bounded transactions, once its Raft state went. */
  readonly spanWork: SpanWork;
  readonly transport: RaftTransport;
  /** Called once with the error that stopped the scheduler. */
  readonly onFatal: (error: unknown) => void;
  /** Called on every tick after the replicas ticked, with the awake ones (background work: expiry). */
  readonly onTick?: (awake: ReadonlySet<Replica>) => void;
  /** TEST-ONLY (the `ackBeforeSync` knob): go on without waiting for each batch's fsync. */
  readonly commitWithoutSync?: boolean;
}

export interface SchedulerStats {
  readonly roundsTotal: number;
  /** Rounds that committed a batch (each one fsync). */
  readonly batchesTotal: number;
  /** Ready structs processed over all batches (ranges × rounds). */
  readonly readiesTotal: number;
  /** Pauses after a round of many ranges' Readies (see the header). */
  readonly gatherPausesTotal: number;
  /** Replica ticks (one awake replica ticked once), over all ticks. */
  readonly replicaTicksTotal: number;
  /** Ticks run to catch up with the clock, beyond one per timer (a stopped process, a stalled loop). */
  readonly ticksCaughtUpTotal: number;
  /** Raft messages of ranges sent (liveness pings not included). */
  readonly raftMessagesSentTotal: number;
  /** Node-level liveness pings sent. */
  readonly livenessPingsTotal: number;
  readonly rangesTotal: number;
  /** Ranges asleep here (not ticked; quiesce.ts). */
  readonly rangesQuiesced: number;
}

export class StoreScheduler {
  private readonly replicas = new Map<RangeId, Replica>();
  /** The replicas that are not asleep: the ones `tick` ticks. */
  private readonly awake = new Set<Replica>();
  /** The replicas that asked for a round, or were left with work by the last. */
  private dirty = new Set<Replica>();
  /** The replicas the round in progress collected or may collect (removeIfIdle). */
  private inRound: ReadonlySet<Replica> = NO_REPLICAS;
  private readonly liveness: PeerLiveness;
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private scheduled = false;
  private again = false;
  private stopped = false;
  /** A round is waiting for its store commit (see `tick`). */
  private committing = false;
  /** The monotonic time the ticks run has reached: a whole number of tick periods since start. */
  private tickedToMs = 0;
  private rounds = 0;
  private lateTicks = 0;
  private batches = 0;
  private readies = 0;
  private gatherPauses = 0;
  private replicaTicks = 0;
  private messagesSent = 0;

  constructor(
    private readonly store: Store,
    private readonly options: SchedulerOptions,
  ) {
    this.liveness = new PeerLiveness({
      nodeId: options.nodeId,
      silentAfterTicks: options.electionTick,
    });
  }

  /** Adds a replica; it starts awake, with a round due. */
  add(replica: Replica): void {
    const old = this.replicas.get(replica.rangeId);
    if (old !== undefined) this.forget(old);
    this.replicas.set(replica.rangeId, replica);
    this.awake.add(replica);
    this.dirty.add(replica);
  }

  /** Drops a replica without touching its stored state (an uninitialized one). */
  remove(rangeId: RangeId): void {
    const r = this.replicas.get(rangeId);
    if (r !== undefined) this.forget(r);
  }

  /**
   * Forgets `r` if no round holds work of it: none collected it into a store
   * commit still running, and it has nothing for the next. What it wrote is
   * then durable, so a replica made anew from the store starts where it left
   * off. False (and nothing done) otherwise.
   */
  removeIfIdle(r: Replica): boolean {
    if (this.replicas.get(r.rangeId) !== r) return false;
    if (this.inRound.has(r) || this.dirty.has(r) || r.hasWork()) return false;
    this.forget(r);
    return true;
  }

  replica(rangeId: RangeId): Replica | undefined {
    return this.replicas.get(rangeId);
  }

  all(): Iterable<Replica> {
    return this.replicas.values();
  }

  start(): void {
    this.tickedToMs = this.options.clock.monotonicMs();
    this.timer = this.options.timers.every(this.options.tickMs, () => this.catchUp());
    this.wake();
  }

  /**
   * Runs the ticks due by the monotonic clock since the last (see the header):
   * none if less than a tick period passed, at most `TICKS_CATCH_UP_ELECTIONS`
   * election timeouts' worth.
   */
  catchUp(): void {
    if (this.stopped || this.timer === undefined) return;
    const { tickMs, electionTick } = this.options;
    const now = this.options.clock.monotonicMs();
    const due = Math.floor((now - this.tickedToMs) / tickMs);
    if (due <= 0) return;
    const n = Math.min(due, TICKS_CATCH_UP_ELECTIONS * electionTick);
    this.tickedToMs = n === due ? this.tickedToMs + due * tickMs : now;
    if (n > 1) this.lateTicks += n - 1;
    for (let i = 0; i < n; i++) this.tick();
  }

  /**
   * Replica `rangeId` has something to do (or just went to sleep, or woke):
   * a round soon looks at it, and `tick` ticks it if it is awake. Without a
   * range id every replica is looked at (at start). Rounds never overlap.
   */
  wake(rangeId?: RangeId): void {
    if (this.stopped) return;
    if (rangeId === undefined) {
      for (const r of this.replicas.values()) {
        this.dirty.add(r);
        this.noteSleep(r);
      }
    } else {
      const r = this.replicas.get(rangeId);
      if (r !== undefined) {
        this.dirty.add(r);
        this.noteSleep(r);
      }
    }
    this.kick();
  }

  /** Raft traffic (or a liveness ping) arrived from `from`. */
  heardFrom(from: NodeId): void {
    this.liveness.heardFrom(from);
  }

  /**
   * The bus lost its connection to `nodeId`: the awake replicas are told, and
   * so are the sleeping ones it leads (which wake: their leader may be gone).
   */
  reportUnreachable(nodeId: NodeId): void {
    for (const r of [...this.awake]) r.reportUnreachable(nodeId);
    for (const id of this.liveness.followersOf(nodeId))
      this.replicas.get(id)?.reportUnreachable(nodeId);
  }

  private kick(): void {
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
    return {
      roundsTotal: this.rounds,
      batchesTotal: this.batches,
      readiesTotal: this.readies,
      gatherPausesTotal: this.gatherPauses,
      replicaTicksTotal: this.replicaTicks,
      ticksCaughtUpTotal: this.lateTicks,
      raftMessagesSentTotal: this.messagesSent,
      livenessPingsTotal: this.liveness.pingsTotal,
      rangesTotal: this.replicas.size,
      rangesQuiesced: this.replicas.size - this.awake.size,
    };
  }

  /** Ticks the awake replicas, then runs node-level liveness (quiesce-liveness.ts). */
  private tick(): void {
    for (const r of [...this.awake]) {
      this.replicaTicks++;
      const quiesce = r.tick();
      if (quiesce.length > 0) this.send(r.rangeId, quiesce);
      // A round waiting for its commit would hold the heartbeats this tick
      // made (and the responses to those received) until the next round.
      if (this.committing) this.send(r.rangeId, r.takeHeartbeats());
      if (r.isQuiesced) this.noteSleep(r);
      // A removed leader's lingering ends on a tick (replica.ts `Lingering`).
      if (r.hasWork() || r.isRemoved) this.dirty.add(r);
    }
    const { pings, wake } = this.liveness.tick();
    if (pings.length > 0) this.options.transport.send(LIVENESS_RANGE_ID, pings);
    for (const id of wake) this.replicas.get(id)?.unquiesce({ leaderSilent: true });
    this.options.onTick?.(this.awake);
    if (this.dirty.size > 0) this.kick();
  }

  /** Brings the awake set and the liveness bookkeeping in line with whether `r` sleeps. */
  private noteSleep(r: Replica): void {
    if (r.isQuiesced) {
      this.awake.delete(r);
      this.liveness.quiesced(r.rangeId, r.quiescedLeader, r.otherMembers());
    } else if (!this.awake.has(r)) {
      this.awake.add(r);
      this.liveness.unquiesced(r.rangeId);
    }
  }

  /** Forgets `r` (removed or replaced): it is no longer ticked, looked at or tracked. */
  private forget(r: Replica): void {
    if (this.replicas.get(r.rangeId) === r) this.replicas.delete(r.rangeId);
    this.awake.delete(r);
    this.dirty.delete(r);
    this.liveness.unquiesced(r.rangeId);
  }

  private send(rangeId: RangeId, messages: readonly Message[]): void {
    if (messages.length === 0) return;
    this.messagesSent += messages.length;
    for (const m of messages) this.liveness.noteSent(m.to);
    this.options.transport.send(rangeId, messages);
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        const readies = await this.round();
        if (readies >= GATHER_READIES_MIN && !this.stopped) {
          this.gatherPauses++;
          await new Promise<void>((resolve) => this.options.timers.after(GATHER_MS, resolve));
        }
      } while (!this.stopped && (this.again || this.dirty.size > 0));
    } catch (e) {
      this.stopped = true;
      this.timer?.cancel();
      for (const r of this.replicas.values()) {
        r.close(new TesseraError("INTERNAL", "the store failed; this node is stopping"));
      }
      this.options.onFatal(e);
    }
  }

  /** One round; returns how many Readies it carried. */
  private async round(): Promise<number> {
    this.rounds++;
    // Before read points are asked for: a lease must be judged by the clock.
    this.catchUp();
    const due: Replica[] = [];
    for (const r of this.dirty) if (this.replicas.get(r.rangeId) === r) due.push(r);
    this.inRound = this.dirty;
    this.dirty = new Set();
    for (const r of due) r.requestReads();
    const batch = this.store.newBatch();
    const work: [Replica, CollectedReady][] = [];
    const destroyed: Replica[] = [];
    // Uninitialized replicas first: a split applied later in this batch may
    // create the same range, and its Raft state must be written after (and
    // merged with) whatever vote the uninitialized replica records here.
    const initialized: Replica[] = [];
    const order: Replica[] = [];
    for (const r of due) (r.isInitialized ? initialized : order).push(r);
    for (const r of initialized) order.push(r);
    for (const r of order) {
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
      this.forget(r);
      const log = this.store.logStorage(r.rangeId);
      // Its spans are reserved from now: no snapshot may land there before they
      // are cleared. Its own records go at once, with its Raft state: until the
      // span is clear, nothing may take this replica for one that holds the range
      // (a merge checks the records of the range it absorbs).
      const clearing = this.options.spanWork.reserveClear(r.rangeId, r.spans);
      // How far its log reached outlives it: a replica of the range made here
      // later votes no lower (removed-ranges.ts: it may have been part of the
      // quorum that committed up to there).
      const position = lastPosition(log);
      batch.write(({ dbs }) => {
        for (const key of rangeRecordKeys(r.rangeId)) dbs.data.remove(key);
        const key = removedRangeKey(r.rangeId);
        const old = dbs.meta.get(key);
        const later =
          old === undefined ? position : laterPosition(position, decodeRemovedPosition(old));
        dbs.meta.put(key, encodeRemovedPosition(later));
        dbs.meta.remove(lingeringRangeKey(r.rangeId));
      });
      batch.destroyRange(log, clearing.clear, () => {
        clearing.start();
        this.store.forgetRange(r.rangeId);
        this.options.onDestroyed?.(r.rangeId);
      });
    }
    for (const [r, c] of work) this.send(r.rangeId, c.early);
    if (!batch.isEmpty) {
      this.committing = true;
      try {
        if (this.options.commitWithoutSync) {
          await this.store.commitWithoutSync(batch, this.options.onFatal);
          // Still yield a turn, as a commit would, so timers and I/O get to run.
          await new Promise<void>((resolve) => this.options.timers.soon(resolve));
        } else await this.store.commit(batch);
      } finally {
        this.committing = false;
      }
      this.batches++;
    }
    this.readies += work.length;
    for (const [r, c] of work) this.send(r.rangeId, r.finish(c));
    this.inRound = NO_REPLICAS;
    // A replica left with work (or removed) is looked at again next round.
    for (const r of due) {
      if (this.replicas.get(r.rangeId) !== r) continue;
      if (r.hasWork() || r.isRemoved) this.dirty.add(r);
    }
    return work.length;
  }
}
