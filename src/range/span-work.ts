/**
 * Bulk writes and deletes of a store's data spans, cut into bounded
 * transactions so that moving a range of gigabytes never stops the node
 * (every transaction's callback runs on the event loop; one that writes or
 * deletes a whole range holds it for seconds).
 *
 * - **Writing a snapshot ahead of its install** (`fill`): a replica that
 *   holds nothing yet (the usual case when a range moves here) gets its
 *   snapshot's data written into the span, piece by piece, before Raft is
 *   handed the snapshot; the install is then one small transaction that
 *   writes the Raft state and makes the data the range's
 *   (StoreBatch.installSnapshot `prewritten`). Nothing on this node owns the
 *   span meanwhile, so no reader sees the partial data.
 * - **Clearing a span** (`clear`): the data of a replica removed from this
 *   node, or of a snapshot written ahead and not installed, deleted piece by
 *   piece after its Raft state went.
 *
 * Both work under a durable span-clear record (storage/span-clear.ts)
 * written first: a crash between the pieces leaves the record, and the
 * store's next start clears the span (`resume`). While the work runs, its
 * spans are reserved: no snapshot may be installed over them (the host
 * checks `overlapping` before it delivers one), which is what makes the
 * partial states invisible and the deletion safe.
 */
import { compareBytes, TesseraError } from "../lib/index.js";
import type { SpanBounds, SpanClear, SpanEntry, Store } from "../storage/index.js";
import type { HostLogger } from "./host-types.js";

/** What one transaction of a fill or clear may write or delete, at most. */
export interface SpanChunkLimits {
  readonly keys: number;
  readonly bytes: number;
}

export const SPAN_CHUNK_LIMITS_DEFAULT: SpanChunkLimits = { keys: 16_384, bytes: 8 * 1024 * 1024 };

export type SpanReservationState = "filling" | "installing" | "clearing";

export interface SpanReservation {
  readonly clear: SpanClear;
  readonly state: SpanReservationState;
  /** Resolves once the spans are free again (installed, or cleared; or the work stopped). */
  readonly done: Promise<void>;
}

/** A snapshot written ahead of its install: install it, or abandon it (its data is cleared). */
export interface Prewritten {
  readonly clear: SpanClear;
  /** The install transaction committed: the data is the range's now. */
  installed(): void;
  /** The install will not happen: the data is cleared. */
  abandon(): void;
}

interface Held {
  readonly clear: SpanClear;
  state: SpanReservationState;
  readonly done: Promise<void>;
  release: () => void;
}

export class SpanWork {
  private readonly held = new Set<Held>();
  private closed = false;
  private fills = 0;
  private clears = 0;

  constructor(
    private readonly store: Store,
    readonly limits: SpanChunkLimits = SPAN_CHUNK_LIMITS_DEFAULT,
    private readonly log?: HostLogger,
  ) {}

  /** Clears what a crash left to clear (the records found in the store). */
  resume(): void {
    for (const c of this.store.spanClears()) {
      this.log?.info(
        { rangeId: c.rangeId, record: c.id },
        "clearing a span left from before a restart",
      );
      void this.runClear(this.reserve(c, "clearing"));
    }
  }

  /** The reservations whose spans overlap any of `spans`. */
  overlapping(spans: readonly SpanBounds[]): SpanReservation[] {
    const out: SpanReservation[] = [];
    for (const h of this.held) {
      if (h.clear.spans.some((a) => spans.some((b) => spansOverlap(a, b)))) out.push(h);
    }
    return out;
  }

  /** Whether a snapshot of `rangeId` is being written or installed here. */
  receiving(rangeId: number): boolean {
    for (const h of this.held)
      if (h.clear.rangeId === rangeId && h.state !== "clearing") return true;
    return false;
  }

  /** Reservations held (for tests and stats). */
  get reservations(): number {
    return this.held.size;
  }

  /** Fills and clears finished since start (for tests and stats). */
  get counts(): { fills: number; clears: number } {
    return { fills: this.fills, clears: this.clears };
  }

  /**
   * Reserves `spans` of a replica being destroyed and returns the record its
   * destruction writes; `start` begins the clearing once that is durable.
   * Synchronous, so no snapshot is let in between.
   */
  reserveClear(rangeId: number, spans: readonly SpanBounds[]): { clear: SpanClear; start(): void } {
    const h = this.reserve({ id: this.store.newSpanClearId(), rangeId, spans }, "clearing");
    return { clear: h.clear, start: () => void this.runClear(h) };
  }

  /**
   * Writes `entries` into `spans` (which no replica here owns; the caller
   * checked that nothing overlaps them) in bounded transactions, after
   * emptying them: the spans are reserved and recorded first. Resolves with
   * the handle of the written data, or undefined when `wanted` turned false
   * between two transactions (the data is then cleared).
   */
  async fill(
    rangeId: number,
    spans: readonly SpanBounds[],
    entries: Iterable<SpanEntry>,
    wanted: () => boolean,
  ): Promise<Prewritten | undefined> {
    const h = this.reserve({ id: this.store.newSpanClearId(), rangeId, spans }, "filling");
    const live = () => !this.closed && wanted();
    try {
      await this.store.fillSpan(h.clear, []);
      // Whatever an earlier replica left here goes first.
      while (!(await this.store.clearSpanChunk(h.clear, this.limits, true))) {
        if (!live()) return this.giveUp(h);
      }
      let piece: SpanEntry[] = [];
      let bytes = 0;
      for (const e of entries) {
        piece.push(e);
        bytes += e.key.byteLength + e.value.byteLength;
        if (piece.length < this.limits.keys && bytes < this.limits.bytes) continue;
        await this.store.fillSpan(h.clear, piece);
        piece = [];
        bytes = 0;
        if (!live()) return this.giveUp(h);
      }
      if (piece.length > 0) await this.store.fillSpan(h.clear, piece);
      if (!live()) return this.giveUp(h);
    } catch (e) {
      if (this.closed) return undefined;
      this.giveUp(h);
      throw e;
    }
    h.state = "installing";
    this.fills++;
    let settled = false;
    return {
      clear: h.clear,
      installed: () => {
        if (settled) return;
        settled = true;
        this.unreserve(h);
      },
      abandon: () => {
        if (settled) return;
        settled = true;
        if (!this.closed) void this.runClear(h);
      },
    };
  }

  /** Stops: work in progress ends after its current transaction; records stay for the next start. */
  close(): void {
    this.closed = true;
    for (const h of [...this.held]) this.unreserve(h);
  }

  private giveUp(h: Held): undefined {
    if (!this.closed) void this.runClear(h);
    return undefined;
  }

  private reserve(clear: SpanClear, state: SpanReservationState): Held {
    if (this.closed) throw new TesseraError("SHUTTING_DOWN", "the node is stopping");
    let release = () => {};
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const h: Held = { clear, state, done, release };
    this.held.add(h);
    return h;
  }

  private unreserve(h: Held): void {
    this.held.delete(h);
    h.release();
  }

  private async runClear(h: Held): Promise<void> {
    h.state = "clearing";
    try {
      while (!this.closed) {
        if (await this.store.clearSpanChunk(h.clear, this.limits)) {
          this.clears++;
          this.unreserve(h);
          return;
        }
      }
    } catch (e) {
      // The store failed or closed: the record stays, and the next start clears the span.
      if (!this.closed)
        this.log?.warn({ rangeId: h.clear.rangeId, err: e }, "clearing a span failed");
    }
  }
}

function spansOverlap(a: SpanBounds, b: SpanBounds): boolean {
  return compareBytes(a.start, b.end) < 0 && compareBytes(b.start, a.end) < 0;
}
