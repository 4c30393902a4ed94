/**
 * Reconnection backoff: the wait before the n-th consecutive attempt doubles
 * from `minMs` up to `maxMs`, and a random part (half of it, "equal jitter")
 * keeps nodes that lost the same peer at the same moment from reconnecting in
 * lockstep. A success resets it. Randomness comes from an injected `Rng`.
 */
import { assert, type Rng } from "../lib/index.js";

export class Backoff {
  private failures = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly rng: Rng,
  ) {
    assert(minMs > 0 && minMs <= maxMs, `backoff bounds ${minMs}..${maxMs}`);
  }

  /** Consecutive failures since the last success. */
  get attempts(): number {
    return this.failures;
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  nextDelayMs(): number {
    const ceilingMs = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return Math.round(ceilingMs / 2 + this.rng.float() * (ceilingMs / 2));
  }

  reset(): void {
    this.failures = 0;
  }
}
