/**
 * `LoadMeter`: each range's operations per second over a sliding window, for
 * the cluster's planner (split the busy, merge the cold), TESSERA STATUS and
 * INFO alike.
 *
 * The host samples every replica's ops counter (`Replica.opsTotal`: writes
 * applied plus reads served, since the replica started) at most once per
 * `sampleIntervalMs`, on its tick, and keeps the last `windowSamples`
 * samples of each range. A reader's rate runs from the oldest sample kept to
 * the counter as it reads it, so reading changes nothing: any number of
 * readers, in any order, see the same figure for the same moment. (A rate
 * "since the caller's last call" would let one reader shorten another's
 * window.)
 *
 * Invariants: a window holds samples of one generation of the range's
 * descriptor, with counters that never decrease. A split or a merge bumps
 * the generation, and a replica that restarts counts from zero again: both
 * start a new window, so the halves of a split are not judged by the traffic
 * of the range they came from. Until a window spans `rateSpanMsMin`, the
 * rate reads 0 (unknown yet; the planner reads that as "not busy").
 *
 * An idle range costs no allocation: a full window whose samples all equal
 * the counter (nothing happened over it) moves on by reusing its oldest
 * sample as the newest.
 *
 * Pure: time comes in as arguments.
 */
import { assert, type RangeId } from "../lib/index.js";

export interface LoadMeterSettings {
  /** Least time between two samples of the ops counters. */
  readonly sampleIntervalMs: number;
  /** Samples kept per range: the window spans (windowSamples - 1) to windowSamples intervals. */
  readonly windowSamples: number;
  /** A window shorter than this gives no rate yet (0). */
  readonly rateSpanMsMin: number;
}

/**
 * One-second samples over three: the planner (which plans every second)
 * sees the rate of the last two to three seconds.
 */
export const DEFAULT_LOAD_METER_SETTINGS: LoadMeterSettings = {
  sampleIntervalMs: 1_000,
  windowSamples: 3,
  rateSpanMsMin: 500,
};

/** What the meter reads of one replica when it samples. */
export interface OpsCounter {
  readonly rangeId: RangeId;
  readonly generation: number;
  readonly opsTotal: number;
}

/**
 * Feeds every replica's counter to `sample` (a callback rather than an
 * iterable of objects: a store with thousands of ranges samples them all
 * every second without allocating for each).
 */
export type CounterSource = (
  sample: (rangeId: RangeId, generation: number, opsTotal: number) => void,
) => void;

interface Sample {
  readonly ops: number;
  atMs: number;
}

interface Window {
  readonly generation: number;
  /** Oldest first; at most `windowSamples`. */
  readonly samples: Sample[];
  /** The sample round that last saw the range (ranges not seen are forgotten). */
  seenIn: number;
}

export class LoadMeter {
  private readonly windows = new Map<RangeId, Window>();
  private lastSampleAtMs = Number.NEGATIVE_INFINITY;
  private sampleRounds = 0;

  constructor(private readonly settings: LoadMeterSettings = DEFAULT_LOAD_METER_SETTINGS) {
    assert(settings.sampleIntervalMs > 0, "load meter: sampleIntervalMs must be positive");
    assert(settings.windowSamples >= 2, "load meter: a window needs at least two samples");
    assert(settings.rateSpanMsMin >= 0, "load meter: rateSpanMsMin must not be negative");
  }

  /**
   * Samples `counters` (every replica of the store) when `sampleIntervalMs`
   * passed since the last sample; forgets ranges no longer among them.
   * Returns whether it sampled.
   */
  maybeSample(nowMs: number, counters: Iterable<OpsCounter> | CounterSource): boolean {
    if (nowMs - this.lastSampleAtMs < this.settings.sampleIntervalMs) return false;
    this.lastSampleAtMs = nowMs;
    const round = ++this.sampleRounds;
    let seen = 0;
    const sample = (rangeId: RangeId, generation: number, opsTotal: number) => {
      this.record(rangeId, generation, opsTotal, nowMs, round);
      seen++;
    };
    if (typeof counters === "function") counters(sample);
    else for (const c of counters) sample(c.rangeId, c.generation, c.opsTotal);
    if (seen < this.windows.size) {
      for (const [id, w] of this.windows) if (w.seenIn !== round) this.windows.delete(id);
    }
    return true;
  }

  /** Operations per second of range `c.rangeId`, up to its counter now. Reads only. */
  opsPerSec(c: OpsCounter, nowMs: number): number {
    const w = this.windows.get(c.rangeId);
    const oldest = w?.samples[0];
    if (w === undefined || oldest === undefined || !this.continues(w, c.generation, c.opsTotal))
      return 0;
    const spanMs = nowMs - oldest.atMs;
    if (spanMs < this.settings.rateSpanMsMin || spanMs <= 0) return 0;
    return ((c.opsTotal - oldest.ops) * 1000) / spanMs;
  }

  /** Ranges with a window (for tests and bounds). */
  get rangesTracked(): number {
    return this.windows.size;
  }

  private record(
    rangeId: RangeId,
    generation: number,
    opsTotal: number,
    nowMs: number,
    round: number,
  ): void {
    const w = this.windows.get(rangeId);
    if (w === undefined || !this.continues(w, generation, opsTotal)) {
      this.windows.set(rangeId, {
        generation,
        samples: [{ ops: opsTotal, atMs: nowMs }],
        seenIn: round,
      });
      return;
    }
    w.seenIn = round;
    const s = w.samples;
    if (s.length === this.settings.windowSamples && s[0]!.ops === opsTotal) {
      // Flat (the counter never decreases, so every sample equals it): the
      // oldest sample is reused as the newest, the window is what a new one
      // would make.
      const oldest = s.shift()!;
      oldest.atMs = nowMs;
      s.push(oldest);
      return;
    }
    w.samples.push({ ops: opsTotal, atMs: nowMs });
    if (w.samples.length > this.settings.windowSamples) w.samples.shift();
  }

  /** Whether `c` counts on from the window's samples (same generation, counter not reset). */
  private continues(w: Window, generation: number, opsTotal: number): boolean {
    const newest = w.samples[w.samples.length - 1];
    return w.generation === generation && newest !== undefined && opsTotal >= newest.ops;
  }
}
