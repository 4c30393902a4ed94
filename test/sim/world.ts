/**
 * The simulated world: one seeded `SeededRng`, simulated time and the event
 * queue every simulated component schedules on. `run` pops events in
 * (time, sequence) order; after each one it lets every promise job the event
 * started settle (one macrotask turn, during which nothing real can happen:
 * a simulated run has no real timers, sockets or files), so async code in the
 * nodes runs to its next simulated wait before the next event. Every event is
 * folded into a trace hash (FNV-1a), so two runs of one seed can be compared.
 *
 * An owner can be stalled (`stall`), as a process stopped by SIGSTOP or frozen
 * by a long pause is: its events due meanwhile wait, in their order, until the
 * stall ends; its clock runs on. A periodic timer that missed several periods
 * then fires once, as Node's do.
 */
import { SeededRng } from "../../src/lib/index.js";
import { EventQueue, type SimEvent } from "./event-queue.js";

export interface Cancellable {
  cancel(): void;
}

/** Lets every pending promise job run: setImmediate runs only once the microtask queue is empty. */
export const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

export class World {
  readonly rng: SeededRng;
  private readonly queue = new EventQueue();
  private seq = 0;
  private now = 0;
  private hash = 0x811c9dc5;
  /** Owners whose events wait until the time given (see `stall`). */
  private readonly stalls = new Map<string, number>();
  eventsTotal = 0;
  /** Called with each event's trace line when tracing. */
  tracer: ((line: string) => void) | undefined;
  /** Checked after every event; throws to fail the run. */
  afterEvent: (() => void) | undefined;

  constructor(readonly seed: number) {
    this.rng = new SeededRng(seed);
  }

  get nowMs(): number {
    return this.now;
  }

  get traceHash(): string {
    return (this.hash >>> 0).toString(16).padStart(8, "0");
  }

  /** Runs `fn` at `atMs` (not before now). */
  at(atMs: number, owner: string, label: string, fn: () => void): Cancellable {
    const e: SimEvent = {
      atMs: Math.max(atMs, this.now),
      seq: this.seq++,
      owner,
      label,
      run: fn,
      cancelled: false,
    };
    this.queue.push(e);
    return {
      cancel: () => {
        e.cancelled = true;
      },
    };
  }

  after(ms: number, owner: string, label: string, fn: () => void): Cancellable {
    return this.at(this.now + ms, owner, label, fn);
  }

  /** Holds every event of `owner` due before `untilMs` until then (a stopped process). */
  stall(owner: string, untilMs: number): void {
    this.stalls.set(owner, Math.max(untilMs, this.stalls.get(owner) ?? 0));
  }

  /** Ends `owner`'s stall now (the process was killed); what it held runs when it was due to. */
  unstall(owner: string): void {
    this.stalls.delete(owner);
  }

  /** When `owner`'s stall ends, if it is stalled now. */
  stalledUntil(owner: string): number | undefined {
    const until = this.stalls.get(owner);
    return until !== undefined && until > this.now ? until : undefined;
  }

  /** Folds a fact into the trace (and prints it when tracing). */
  note(owner: string, text: string): void {
    this.mix(`${this.now} ${owner} ${text}`);
  }

  /** Runs events until simulated time passes `untilMs` or `stop()` says so. */
  async run(untilMs: number, stop?: () => boolean): Promise<void> {
    for (;;) {
      const e = this.queue.peek();
      if (e === undefined || e.atMs > untilMs) break;
      this.queue.pop();
      if (e.cancelled) continue;
      const until = this.stalls.get(e.owner);
      if (until !== undefined && until > e.atMs) {
        // Popped in order and pushed back in that order: the stall keeps it.
        e.atMs = until;
        e.seq = this.seq++;
        this.queue.push(e);
        continue;
      }
      this.now = e.atMs;
      this.eventsTotal++;
      this.mix(`${e.atMs} ${e.owner} ${e.label}`);
      e.run();
      await settle();
      this.afterEvent?.();
      if (stop?.()) return;
    }
    this.now = Math.max(this.now, untilMs);
  }

  private mix(line: string): void {
    let h = this.hash;
    for (let i = 0; i < line.length; i++) {
      h ^= line.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    this.hash = h >>> 0;
    this.tracer?.(line);
  }
}
