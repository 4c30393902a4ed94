/**
 * `LoopWatch`: how late this node's event loop runs. A node whose loop stalls
 * answers no one meanwhile — neither its clients nor the followers of the
 * ranges it leads — and a stall as long as an election timeout makes those
 * followers elect other leaders. So a probe timer fires every `PROBE_MS` and
 * measures how late it came; the watch keeps the worst delay of each window
 * of `LOOP_WATCH_WINDOW_MS` for /metrics, and counts (and logs as a warning,
 * one line per window) the windows whose worst delay reached `stallWarnMs`:
 * half an election timeout in a node, the point from which a stall can cost
 * leaderships. (Node's `monitorEventLoopDelay` histogram does not measure the
 * first interval after each reset, so a stall just after one went unseen.)
 */
import type { Clock, TimerHandle, Timers } from "../lib/index.js";
import type { Logger } from "./logger.js";

/** How often the worst delay is reported and reset. */
export const LOOP_WATCH_WINDOW_MS = 1000;
/** The probe's period: delays are seen to about this precision. */
const PROBE_MS = 10;

export interface LoopWatchStats {
  /** The worst delay of the last window, in seconds. */
  readonly delayMaxSeconds: number;
  /** Windows whose worst delay reached the warning threshold. */
  readonly stallsTotal: number;
}

export class LoopWatch {
  private probe: TimerHandle | undefined;
  private window: TimerHandle | undefined;
  private lastProbeMs = 0;
  /** The worst delay in the window under way. */
  private worstMs = 0;
  /** The worst delay of the last full window. */
  private reportedMs = 0;
  private stalls = 0;

  constructor(
    private readonly o: {
      readonly timers: Timers;
      readonly clock: Pick<Clock, "monotonicMs">;
      readonly logger: Pick<Logger, "warn">;
      /** A window whose worst delay reaches this is a stall (logged, counted). */
      readonly stallWarnMs: number;
    },
  ) {}

  start(): void {
    this.lastProbeMs = this.o.clock.monotonicMs();
    this.probe = this.o.timers.every(PROBE_MS, () => this.onProbe());
    this.window = this.o.timers.every(LOOP_WATCH_WINDOW_MS, () => this.endWindow());
  }

  stop(): void {
    this.probe?.cancel();
    this.window?.cancel();
    this.probe = this.window = undefined;
  }

  stats(): LoopWatchStats {
    return { delayMaxSeconds: this.reportedMs / 1000, stallsTotal: this.stalls };
  }

  /** One probe: how much later than its period it came. */
  onProbe(): void {
    const now = this.o.clock.monotonicMs();
    const late = now - this.lastProbeMs - PROBE_MS;
    this.lastProbeMs = now;
    if (late > this.worstMs) this.worstMs = late;
  }

  /** Closes a window: reports its worst delay, and counts and logs it if it was a stall. */
  endWindow(): void {
    // A stall still under way is the next window's (its probe has not come yet).
    this.reportedMs = Math.max(0, this.worstMs);
    this.worstMs = 0;
    if (this.reportedMs >= this.o.stallWarnMs) {
      this.stalls++;
      this.o.logger.warn(
        { stallMs: Math.round(this.reportedMs) },
        "event loop stalled: the ranges this node leads may elect other leaders",
      );
    }
  }
}
