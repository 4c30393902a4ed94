/**
 * `RangeDirectory`: this node's range cache (DESIGN.md §2) — which range owns
 * an internal key, who its replicas are, and which node led it last.
 *
 * Two sources, merged: the descriptors of the replicas this node holds
 * (authoritative as of their applied index) and the meta table (meta-table.ts,
 * a copy of every range's descriptor kept in the meta range, loaded
 * periodically and on a miss). Of two descriptors of one range the higher
 * generation wins; of two overlapping ranges the one with the higher
 * generation wins (a split or merge bumps the generation of every range it
 * produces, so the newer shape always outranks what it replaced). Leader
 * hints come from local replicas and from NOT_LEADER answers.
 *
 * The view may be stale; a request routed with it is refused by the range it
 * reaches (RANGE_MISMATCH) and routed again after a refresh, so a stale view
 * costs a retry, never a wrong answer.
 */
import { compareBytes, equalBytes, type NodeId, type RangeId } from "../lib/index.js";
import type { RangeDescriptor } from "./descriptor.js";

export interface DirectoryEntry {
  readonly desc: RangeDescriptor;
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /** The leader as the entry's source knew it (meta: the leader that wrote it); 0 or absent: unknown. */
  readonly leaderId?: NodeId;
}

export interface LocalRangeSource {
  /** Descriptors and members of the initialized replicas this node holds. */
  localRanges(): Iterable<DirectoryEntry>;
}

export class RangeDirectory {
  private metaEntries = new Map<RangeId, DirectoryEntry>();
  /**
   * The meta table's entries by start key (built when needed), and each
   * range's place in it: `staleMetaWithin` searches it rather than scanning
   * the table, which made the first reconciliation after a restart quadratic.
   */
  private metaByStart: DirectoryEntry[] | undefined;
  private metaPlace = new Map<RangeId, number>();
  private readonly leaders = new Map<RangeId, NodeId>();
  private sorted: DirectoryEntry[] = [];
  /** The table's first entry of each range (for `byId`). */
  private sortedById = new Map<RangeId, DirectoryEntry>();
  /** Ranges the table took from a local replica, with that replica's generation. */
  private localWins = new Map<RangeId, number>();
  private dirty = true;

  /**
   * `fixed`: ranges known without asking (the meta range, which never splits
   * or merges: the way to the meta table itself), used until a better entry
   * of the same range is known.
   */
  constructor(
    private readonly local: LocalRangeSource,
    private readonly fixed: readonly DirectoryEntry[] = [],
  ) {}

  /**
   * Replaces the meta table's entries (a fresh load); returns the ranges
   * whose entry is not the very object held before (new, changed or gone).
   * A load that reuses the entries of the last one (meta-table.ts,
   * `MetaTableDecoder`) changes nothing and rebuilds nothing.
   */
  setMeta(entries: readonly DirectoryEntry[]): RangeId[] {
    const next = new Map(entries.map((e) => [e.desc.rangeId, e] as const));
    const changed: RangeId[] = [];
    for (const [id, e] of next) if (this.metaEntries.get(id) !== e) changed.push(id);
    for (const id of this.metaEntries.keys()) if (!next.has(id)) changed.push(id);
    this.metaEntries = next;
    if (changed.length > 0) {
      this.dirty = true;
      this.metaByStart = undefined;
    }
    return changed;
  }

  /**
   * This node wrote `entry` to the meta table: the cached copy follows, so
   * the next comparison with the table is made against what it now holds,
   * not against the load before the write.
   */
  noteMetaWritten(entry: DirectoryEntry): void {
    const id = entry.desc.rangeId;
    const before = this.metaEntries.get(id);
    this.metaEntries.set(id, entry);
    const place = this.metaPlace.get(id);
    // Same start: same place in the sorted entries (the usual write: members or leader changed).
    if (
      this.metaByStart &&
      before &&
      place !== undefined &&
      equalBytes(before.desc.start, entry.desc.start)
    )
      this.metaByStart[place] = entry;
    else this.metaByStart = undefined;
    // A local replica at that generation or newer outranks the entry: the
    // table stays as it is (the usual case: a leader writing its own range).
    const local = this.localWins.get(id);
    if (local === undefined || local < entry.desc.generation) this.dirty = true;
  }

  /** This node deleted range `id`'s entry from the meta table. */
  noteMetaDeleted(id: RangeId): void {
    if (!this.metaEntries.delete(id)) return;
    this.dirty = true;
    this.metaByStart = undefined;
  }

  /** The meta table's entry of a range, as last loaded (or as this node last wrote it). */
  metaEntry(id: RangeId): DirectoryEntry | undefined {
    return this.metaEntries.get(id);
  }

  /** A local replica's descriptor changed (split, snapshot, membership). */
  invalidate(): void {
    this.dirty = true;
  }

  noteLeader(id: RangeId, leader: NodeId): void {
    if (leader !== 0) this.leaders.set(id, leader);
  }

  leaderHint(id: RangeId): NodeId | undefined {
    const learned = this.leaders.get(id);
    if (learned !== undefined) return learned;
    const meta = this.metaEntries.get(id)?.leaderId;
    return meta ? meta : undefined;
  }

  /** The range owning internal key `key`, or undefined when no known range does. */
  lookup(key: Uint8Array): DirectoryEntry | undefined {
    const table = this.table();
    let lo = 0;
    let hi = table.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const e = table[mid]!;
      if (compareBytes(key, e.desc.start) < 0) hi = mid - 1;
      else if (compareBytes(key, e.desc.end) >= 0) lo = mid + 1;
      else return e;
    }
    return undefined;
  }

  /** The known ranges overlapping [start, end), in key order. */
  overlapping(start: Uint8Array, end: Uint8Array): DirectoryEntry[] {
    return this.table().filter(
      (e) => compareBytes(e.desc.start, end) < 0 && compareBytes(start, e.desc.end) < 0,
    );
  }

  /** Ranges of the meta table inside `desc`'s span with a lower generation: absorbed by it. */
  staleMetaWithin(desc: RangeDescriptor): RangeId[] {
    const sorted = this.metaSorted();
    // The first entry starting at or after desc.start, then those starting inside the span.
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(sorted[mid]!.desc.start, desc.start) < 0) lo = mid + 1;
      else hi = mid;
    }
    const out: RangeId[] = [];
    for (let i = lo; i < sorted.length; i++) {
      const e = sorted[i]!;
      if (compareBytes(e.desc.start, desc.end) >= 0) break;
      if (e.desc.rangeId === desc.rangeId || e.desc.generation >= desc.generation) continue;
      if (compareBytes(e.desc.end, desc.end) <= 0) out.push(e.desc.rangeId);
    }
    return out;
  }

  private metaSorted(): DirectoryEntry[] {
    if (this.metaByStart) return this.metaByStart;
    const sorted = [...this.metaEntries.values()].sort((a, b) =>
      compareBytes(a.desc.start, b.desc.start),
    );
    this.metaPlace = new Map(sorted.map((e, i) => [e.desc.rangeId, i] as const));
    this.metaByStart = sorted;
    return sorted;
  }

  /**
   * A meta table range, other than `desc`'s, that overlaps `desc`'s span
   * with a newer generation: one that took `desc`'s keys in a merge, if
   * `desc`'s range is gone from the meta table.
   */
  absorberOf(desc: RangeDescriptor): DirectoryEntry | undefined {
    for (const e of this.metaEntries.values()) {
      if (e.desc.rangeId === desc.rangeId || e.desc.generation <= desc.generation) continue;
      if (compareBytes(e.desc.start, desc.end) < 0 && compareBytes(desc.start, e.desc.end) < 0)
        return e;
    }
    return undefined;
  }

  byId(id: RangeId): DirectoryEntry | undefined {
    this.table();
    return this.sortedById.get(id);
  }

  /** Every known range in key order. */
  all(): readonly DirectoryEntry[] {
    return this.table();
  }

  private table(): DirectoryEntry[] {
    if (!this.dirty) return this.sorted;
    const best = new Map<RangeId, DirectoryEntry>(this.fixed.map((e) => [e.desc.rangeId, e]));
    for (const [id, e] of this.metaEntries) best.set(id, e);
    const localWins = new Map<RangeId, number>();
    for (const e of this.local.localRanges()) {
      const m = best.get(e.desc.rangeId);
      if (m === undefined || m.desc.generation <= e.desc.generation) {
        best.set(e.desc.rangeId, e);
        localWins.set(e.desc.rangeId, e.desc.generation);
      }
    }
    // Overlaps: the higher generation is the newer shape of the key space.
    // An older entry keeps only the parts no newer one covers (clipped), so a
    // stale entry still routes the keys nothing newer is known for; the range
    // corrects a request if it is wrong.
    const byStart = [...best.values()].sort(
      (a, b) => compareBytes(a.desc.start, b.desc.start) || b.desc.generation - a.desc.generation,
    );
    let overlapping = false;
    for (let i = 1; i < byStart.length && !overlapping; i++)
      overlapping = compareBytes(byStart[i - 1]!.desc.end, byStart[i]!.desc.start) > 0;
    const out: DirectoryEntry[] = overlapping ? paint(byStart) : byStart;
    const byId = new Map<RangeId, DirectoryEntry>();
    for (const e of out) if (!byId.has(e.desc.rangeId)) byId.set(e.desc.rangeId, e);
    this.sorted = out;
    this.sortedById = byId;
    this.localWins = localWins;
    this.dirty = false;
    return out;
  }
}

/** Newest first, each entry claims what is left of its span; the pieces in key order. */
function paint(entries: readonly DirectoryEntry[]): DirectoryEntry[] {
  const newestFirst = [...entries].sort(
    (a, b) => b.desc.generation - a.desc.generation || a.desc.rangeId - b.desc.rangeId,
  );
  const claimed: { start: Uint8Array; end: Uint8Array }[] = [];
  const out: DirectoryEntry[] = [];
  for (const e of newestFirst) {
    let pieces = [{ start: e.desc.start, end: e.desc.end }];
    for (const c of claimed) {
      const next: { start: Uint8Array; end: Uint8Array }[] = [];
      for (const p of pieces) {
        if (compareBytes(c.end, p.start) <= 0 || compareBytes(p.end, c.start) <= 0) {
          next.push(p);
          continue;
        }
        if (compareBytes(p.start, c.start) < 0) next.push({ start: p.start, end: c.start });
        if (compareBytes(c.end, p.end) < 0) next.push({ start: c.end, end: p.end });
      }
      pieces = next;
      if (pieces.length === 0) break;
    }
    for (const p of pieces) {
      claimed.push(p);
      out.push(
        p.start === e.desc.start && p.end === e.desc.end
          ? e
          : { ...e, desc: { ...e.desc, start: p.start, end: p.end } },
      );
    }
  }
  return out.sort((a, b) => compareBytes(a.desc.start, b.desc.start));
}
