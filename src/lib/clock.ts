/**
 * Time, injected. Pure layers never read the wall clock; they take a `Clock`
 * (or are handed timestamps), so the simulator can drive a whole cluster from
 * simulated time. Consensus code counts in ticks and needs no clock at all.
 */

export interface Clock {
  /** Milliseconds since the Unix epoch, as this node believes it to be. */
  nowMs(): number;
  /** A monotonic reading in milliseconds, for measuring intervals; never goes back. */
  monotonicMs(): number;
}

/** A clock that a test or the simulator moves by hand. */
export class ManualClock implements Clock {
  constructor(
    private wallMs = 1_700_000_000_000,
    private monoMs = 0,
  ) {}
  nowMs(): number {
    return this.wallMs;
  }
  monotonicMs(): number {
    return this.monoMs;
  }
  /** Moves both readings forward by `ms`. */
  advance(ms: number): void {
    this.wallMs += ms;
    this.monoMs += ms;
  }
  /** Moves the wall reading only (a clock jump or drift), never the monotonic one. */
  setWallMs(ms: number): void {
    this.wallMs = ms;
  }
}
