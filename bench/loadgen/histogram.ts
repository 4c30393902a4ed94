/**
 * A latency histogram in the manner of HdrHistogram: log-linear buckets over
 * integer microseconds. Values below 128 µs are counted exactly; above, each
 * power of two is split into 64 linear sub-buckets, so any recorded value is
 * known to within 1/64 (≈1.6 %) of itself. The range tops out at 2^31 µs
 * (≈36 minutes); larger values are clamped into the last bucket. Counts are a
 * plain Float64Array so histograms from worker threads merge by addition.
 */

const subBucketBits = 6;
const subBucketCount = 1 << subBucketBits; // 64
const valueMaxUs = 2 ** 31 - 1;
/** Number of buckets: 2 * 64 for [0, 128), then 64 per power of two up to 2^31. */
export const HISTOGRAM_BUCKETS = (31 - subBucketBits) * subBucketCount + 2 * subBucketCount;

function indexOf(us: number): number {
  const v = us < 0 ? 0 : us > valueMaxUs ? valueMaxUs : Math.floor(us);
  const magnitude = 31 - Math.clz32(v | 1);
  const shift = magnitude <= subBucketBits ? 0 : magnitude - subBucketBits;
  return shift * subBucketCount + (v >>> shift);
}

/** The [low, high) range of values that land in bucket `index`. */
function rangeOf(index: number): [number, number] {
  if (index < 2 * subBucketCount) return [index, index + 1];
  const shift = Math.floor(index / subBucketCount) - 1;
  const sub = (index % subBucketCount) + subBucketCount;
  return [sub * 2 ** shift, (sub + 1) * 2 ** shift];
}

export class Histogram {
  readonly counts: Float64Array;
  total = 0;
  sumUs = 0;
  minUs = Number.POSITIVE_INFINITY;
  maxUs = 0;

  constructor(counts?: Float64Array) {
    this.counts = counts ?? new Float64Array(HISTOGRAM_BUCKETS);
  }

  /** Records one latency given in milliseconds. */
  recordMs(ms: number): void {
    const us = ms * 1000;
    this.counts[indexOf(us)]! += 1;
    this.total++;
    this.sumUs += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** Adds another histogram's counts into this one. */
  merge(other: HistogramSnapshot): void {
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) this.counts[i]! += other.counts[i] ?? 0;
    this.total += other.total;
    this.sumUs += other.sumUs;
    this.minUs = Math.min(this.minUs, other.minUs);
    this.maxUs = Math.max(this.maxUs, other.maxUs);
  }

  /** The value at quantile `q` (0..1) in milliseconds (bucket midpoint, clamped to min/max). */
  quantileMs(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const [low, high] = rangeOf(i);
        const mid = (low + high) / 2;
        return Math.min(this.maxUs, Math.max(this.minUs, mid)) / 1000;
      }
    }
    return this.maxUs / 1000;
  }

  meanMs(): number {
    return this.total === 0 ? Number.NaN : this.sumUs / this.total / 1000;
  }

  snapshot(): HistogramSnapshot {
    return {
      counts: this.counts,
      total: this.total,
      sumUs: this.sumUs,
      minUs: this.minUs,
      maxUs: this.maxUs,
    };
  }
}

/** A histogram as plain data (what a worker thread posts back). */
export interface HistogramSnapshot {
  readonly counts: Float64Array;
  readonly total: number;
  readonly sumUs: number;
  readonly minUs: number;
  readonly maxUs: number;
}
