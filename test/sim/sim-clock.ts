/**
 * `SimClock`: one node's view of time. Its rate drifts from simulated time by
 * a fixed number of parts per million, and its wall reading may jump by a
 * bounded amount (NTP stepping the clock); the monotonic reading never jumps
 * and never goes back, as on a real machine.
 */
import type { Clock } from "../../src/lib/index.js";
import type { World } from "./world.js";

const EPOCH_MS = 1_700_000_000_000;

export class SimClock implements Clock {
  private wallOffsetMs: number;

  constructor(
    private readonly world: World,
    readonly driftPpm: number,
    initialOffsetMs: number,
  ) {
    this.wallOffsetMs = initialOffsetMs;
  }

  nowMs(): number {
    return Math.floor(EPOCH_MS + this.monotonicMs() + this.wallOffsetMs);
  }

  monotonicMs(): number {
    return this.world.nowMs * (1 + this.driftPpm / 1e6);
  }

  /** Steps the wall reading by `ms` (either way); the monotonic reading is untouched. */
  jump(ms: number): void {
    this.wallOffsetMs += ms;
  }
}
