/**
 * The simulated world: one seeded `SeededRng`, simulated time and the event
 * queue every simulated component schedules on. `run` pops events in
 * (time, sequence) order; after each one it lets every promise job the event
 * started settle (one macrotask turn, during which nothing real can happen:
 * a simulated run has no real timers, sockets or files), so async code in the
 * nodes runs to its next simulated wait before the next event. Every event is
 * folded into a trace hash (FNV-1a), so two runs of one seed can be compared.
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
