/**
 * A hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014),
 * pure: the caller hands in physical time, so the simulator can drive it.
 *
 * A timestamp is a bigint packing 48 bits of Unix milliseconds above 16 bits
 * of logical counter; comparing the bigints compares timestamps. Invariants:
 * - every timestamp this clock returns is strictly greater than every
 *   timestamp it returned or received before (monotonic, even if physical
 *   time goes backwards);
 * - the physical part never lags the largest physical time seen.
 * When the logical counter would overflow 16 bits the physical part moves one
 * millisecond ahead instead, which keeps both invariants.
 */
import { assert } from "./assert.js";
import { TesseraError } from "./errors.js";

export type HlcTimestamp = bigint;

export const HLC_LOGICAL_BITS = 16n;
export const HLC_LOGICAL_MAX = 0xffff;
export const HLC_PHYSICAL_MS_MAX = 2 ** 48 - 1;

export function hlcPack(physicalMs: number, logical: number): HlcTimestamp {
  assert(
    Number.isSafeInteger(physicalMs) && physicalMs >= 0 && physicalMs <= HLC_PHYSICAL_MS_MAX,
    `HLC physical ms out of range: ${physicalMs}`,
  );
  assert(
    Number.isInteger(logical) && logical >= 0 && logical <= HLC_LOGICAL_MAX,
    `HLC logical out of range: ${logical}`,
  );
  return (BigInt(physicalMs) << HLC_LOGICAL_BITS) | BigInt(logical);
}

export function hlcPhysicalMs(ts: HlcTimestamp): number {
  return Number(ts >> HLC_LOGICAL_BITS);
}

export function hlcLogical(ts: HlcTimestamp): number {
  return Number(ts & BigInt(HLC_LOGICAL_MAX));
}

export class HlcClock {
  private lastMs = 0;
  private lastLogical = 0;

  /**
   * @param maxOffsetMs a remote timestamp more than this far ahead of our
   *   physical time is refused by `update` (a clock that is badly off);
   *   Infinity accepts any.
   */
  constructor(private readonly maxOffsetMs = Number.POSITIVE_INFINITY) {}

  /** The last timestamp issued or received. */
  last(): HlcTimestamp {
    return hlcPack(this.lastMs, this.lastLogical);
  }

  /** A timestamp for a local event (a send or a proposal) at physical time `physicalMs`. */
  now(physicalMs: number): HlcTimestamp {
    if (physicalMs > this.lastMs) {
      this.lastMs = physicalMs;
      this.lastLogical = 0;
    } else {
      this.tick();
    }
    return this.last();
  }

  /** Merges a timestamp received from another node; returns the new local timestamp. */
  update(remote: HlcTimestamp, physicalMs: number): HlcTimestamp {
    const remoteMs = hlcPhysicalMs(remote);
    const remoteLogical = hlcLogical(remote);
    if (remoteMs - physicalMs > this.maxOffsetMs) {
      throw new TesseraError(
        "INVALID_ARGUMENT",
        `remote clock is ${remoteMs - physicalMs} ms ahead (max offset ${this.maxOffsetMs} ms)`,
      );
    }
    const maxMs = Math.max(this.lastMs, remoteMs, physicalMs);
    if (maxMs === this.lastMs && maxMs === remoteMs) {
      this.lastLogical = Math.max(this.lastLogical, remoteLogical);
      this.tick();
    } else if (maxMs === this.lastMs) {
      this.tick();
    } else if (maxMs === remoteMs) {
      this.lastMs = remoteMs;
      this.lastLogical = remoteLogical;
      this.tick();
    } else {
      this.lastMs = physicalMs;
      this.lastLogical = 0;
    }
    return this.last();
  }

  private tick(): void {
    if (this.lastLogical < HLC_LOGICAL_MAX) {
      this.lastLogical++;
    } else {
      this.lastMs++;
      this.lastLogical = 0;
    }
  }
}
