/**
 * Instantaneous rates for INFO (instantaneous_ops_per_sec, *_kbps), measured as
 * Redis does: a counter is sampled every `SAMPLE_INTERVAL_MS` and the rate is
 * the mean over the last `SAMPLES_KEPT` intervals.
 */

export const SAMPLE_INTERVAL_MS = 100;
const SAMPLES_KEPT = 16;

export class RateSampler {
  private readonly rates: number[] = [];
  private lastValue: number | undefined;
  private lastAtMs = 0;

  /** Records the counter's value at `nowMs` (monotonic). */
  sample(value: number, nowMs: number): void {
    // A counter that went back was reset (CONFIG RESETSTAT): start over.
    if (this.lastValue !== undefined && value < this.lastValue) this.rates.length = 0;
    else if (this.lastValue !== undefined && nowMs > this.lastAtMs) {
      this.rates.push(((value - this.lastValue) * 1000) / (nowMs - this.lastAtMs));
      if (this.rates.length > SAMPLES_KEPT) this.rates.shift();
    }
    this.lastValue = value;
    this.lastAtMs = nowMs;
  }

  /** The mean rate per second over the kept samples (0 before two samples). */
  perSecond(): number {
    if (this.rates.length === 0) return 0;
    return this.rates.reduce((a, b) => a + b, 0) / this.rates.length;
  }
}
