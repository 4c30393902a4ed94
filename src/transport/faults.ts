/**
 * Fault injection on the bus (DESIGN.md seeds table: DELAY/DROP/PARTITION),
 * for tests and chaos drills. Every operation is refused unless the node was
 * started with faults enabled. Faults act on the frames that carry work (Raft
 * batches, calls and call results) in both directions as seen from this node;
 * the handshake and liveness pings are left alone, so a partition looks to
 * Raft like a silent network, not a closed connection.
 *
 * A rule names peers or, with an empty list, every peer. Drops are chosen with
 * the injected `Rng`, so a seeded run drops the same frames.
 */
import { type NodeId, type Rng, TesseraError } from "../lib/index.js";
import type { BusFaults } from "./types.js";

const ALL = "all";
type Target = NodeId | typeof ALL;

export class FaultInjector implements BusFaults {
  private readonly delays = new Map<Target, number>();
  private readonly drops = new Map<Target, number>();
  private readonly partitioned = new Set<Target>();

  constructor(
    private readonly enabled: boolean,
    private readonly rng: Rng,
  ) {}

  /** Whether any fault is set (a fast path for the common case). */
  get active(): boolean {
    return this.delays.size + this.drops.size + this.partitioned.size > 0;
  }

  delay(peers: readonly NodeId[], ms: number): void {
    this.checkEnabled();
    if (!Number.isSafeInteger(ms) || ms < 0) {
      throw new TesseraError(
        "INVALID_ARGUMENT",
        `fault delay must be a whole number of ms ≥ 0, got ${ms}`,
      );
    }
    for (const t of targets(peers)) {
      if (ms === 0) this.delays.delete(t);
      else this.delays.set(t, ms);
    }
  }

  drop(peers: readonly NodeId[], percent: number): void {
    this.checkEnabled();
    if (!(percent >= 0 && percent <= 100)) {
      throw new TesseraError(
        "INVALID_ARGUMENT",
        `fault drop percent must be in 0..100, got ${percent}`,
      );
    }
    for (const t of targets(peers)) {
      if (percent === 0) this.drops.delete(t);
      else this.drops.set(t, percent);
    }
  }

  partition(peers: readonly NodeId[]): void {
    this.checkEnabled();
    for (const t of targets(peers)) this.partitioned.add(t);
  }

  heal(): void {
    this.checkEnabled();
    this.delays.clear();
    this.drops.clear();
    this.partitioned.clear();
  }

  describe(): string {
    if (!this.enabled) return "fault injection disabled";
    const parts: string[] = [];
    if (this.partitioned.size > 0) parts.push(`partition ${list([...this.partitioned])}`);
    for (const [t, ms] of this.delays) parts.push(`delay ${ms}ms ${list([t])}`);
    for (const [t, p] of this.drops) parts.push(`drop ${p}% ${list([t])}`);
    return parts.length === 0 ? "no faults" : parts.join("; ");
  }

  /** Whether a frame to or from `peer` (0 = a node without an id) is to be dropped now. */
  shouldDrop(peer: NodeId): boolean {
    if (this.partitioned.has(ALL) || this.partitioned.has(peer)) return true;
    const percent = this.drops.get(peer) ?? this.drops.get(ALL);
    return percent !== undefined && this.rng.float() * 100 < percent;
  }

  /** How long a frame to or from `peer` is held back (0 = not at all). */
  delayMsFor(peer: NodeId): number {
    return this.delays.get(peer) ?? this.delays.get(ALL) ?? 0;
  }

  private checkEnabled(): void {
    if (!this.enabled) {
      throw new TesseraError(
        "INVALID_ARGUMENT",
        "bus fault injection is disabled on this node (start it with faults enabled)",
      );
    }
  }
}

function targets(peers: readonly NodeId[]): Target[] {
  return peers.length === 0 ? [ALL] : [...peers];
}

function list(ts: readonly Target[]): string {
  return ts.includes(ALL) ? "to/from all peers" : `to/from nodes ${ts.join(",")}`;
}
