/**
 * A simple majority configuration: a set of voters, any strict majority of
 * which is a quorum (paper §5.2, §5.3). Its commit index is the highest log
 * index acknowledged by a majority; its vote result is won once a majority said
 * yes and lost once a majority can no longer be reached.
 *
 * Invariant: an empty configuration wins every vote and commits everything
 * (`INDEX_UNBOUNDED`), so that it is neutral inside a joint configuration.
 */
import { type LogIndex, logIndex, type NodeId } from "../../lib/index.js";
import { type AckedIndexer, INDEX_UNBOUNDED, type VoteResult } from "./vote-result.js";

export class MajorityConfig {
  readonly ids: Set<NodeId>;
  /** committedIndex's working space (one slot per voter). */
  private readonly scratch: number[] = [];

  constructor(ids: Iterable<NodeId> = []) {
    this.ids = new Set(ids);
  }

  get size(): number {
    return this.ids.size;
  }

  has(id: NodeId): boolean {
    return this.ids.has(id);
  }

  /** The voters in ascending order. */
  slice(): NodeId[] {
    return [...this.ids].sort((a, b) => a - b);
  }

  toString(): string {
    return `(${this.slice().join(" ")})`;
  }

  /**
   * The largest index acknowledged by a majority of the voters (§5.3). Runs on
   * every append response of every range, so it allocates nothing: the acks
   * are insertion-sorted into a scratch array kept per configuration (a
   * handful of voters; `Array.prototype.sort` allocates a work array per call).
   */
  committedIndex(acked: AckedIndexer): LogIndex {
    const n = this.ids.size;
    if (n === 0) return INDEX_UNBOUNDED;
    const srt = this.scratch;
    let len = 0;
    for (const id of this.ids) {
      const v = acked(id) ?? 0;
      let i = len++;
      for (; i > 0 && srt[i - 1]! > v; i--) srt[i] = srt[i - 1]!;
      srt[i] = v;
    }
    // With the acks sorted ascending, the entry at n - (n/2 + 1) is acked by a majority.
    return logIndex(srt[n - (Math.floor(n / 2) + 1)]!);
  }

  /** Counts `votes` (true = granted); voters absent from it have not answered. */
  voteResult(votes: ReadonlyMap<NodeId, boolean>): VoteResult {
    if (this.ids.size === 0) return "won";
    let yes = 0;
    let missing = 0;
    for (const id of this.ids) {
      const v = votes.get(id);
      if (v === undefined) missing++;
      else if (v) yes++;
    }
    const q = Math.floor(this.ids.size / 2) + 1;
    if (yes >= q) return "won";
    if (yes + missing >= q) return "pending";
    return "lost";
  }
}
