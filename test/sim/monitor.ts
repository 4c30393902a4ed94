/**
 * The safety monitor: what every simulated node reports as it runs, checked
 * the moment it is reported (so "after every step"), across crashes:
 *
 * - election safety: at most one leader per (range, term), ever;
 * - log matching: an (range, index, term) triple names one entry, whichever
 *   node persists it;
 * - state-machine safety: every replica applies the same entry at each index,
 *   and the applied-state digest chain agrees at equal applied indexes;
 * - leader completeness: a new leader's log holds every entry any replica has
 *   applied (applied implies committed);
 * - committed-is-durable: when a write is acknowledged to a client, its entry
 *   is durable on a quorum of the range's voters (so no crash can lose it);
 * - the leader commit rule (raft level): a leader advances its commit index
 *   only to an entry of its own term (§5.4.2).
 *
 * A broken property throws an `InvariantViolation` naming it.
 */
import type { NodeId } from "../../src/lib/index.js";

export class InvariantViolation extends Error {
  override readonly name = "InvariantViolation";
  constructor(
    readonly invariant: string,
    message: string,
  ) {
    super(`${invariant}: ${message}`);
  }
}

export class SafetyMonitor {
  private readonly leaders = new Map<string, NodeId>();
  private readonly entries = new Map<string, number>();
  /** range:index → entry term and hash, and the digest chain after applying it. */
  private readonly applied = new Map<string, { term: number; hash: number; digest: number }>();
  private readonly appliedMax = new Map<number, number>();
  /** node → range → index → term, as durable on the node's disk. */
  private readonly durable = new Map<NodeId, Map<number, Map<number, number>>>();
  private readonly states = new Map<string, { digest: number; node: NodeId }>();
  private readonly configs = new Map<number, string[]>();
  checksTotal = 0;
  /** The first violation seen (also thrown where it was found, which may be inside a node's promise job). */
  violation: InvariantViolation | undefined;

  leader(range: number, term: number, id: NodeId, termAt: (i: number) => number | undefined): void {
    this.checksTotal++;
    const key = `${range}:${term}`;
    const prev = this.leaders.get(key);
    if (prev !== undefined && prev !== id) {
      throw this.fail(
        "election-safety",
        `range ${range} term ${term} has leaders n${prev} and n${id}`,
      );
    }
    if (prev !== undefined) return;
    this.leaders.set(key, id);
    const max = this.appliedMax.get(range) ?? 0;
    for (let i = 1; i <= max; i++) {
      const a = this.applied.get(`${range}:${i}`);
      if (a === undefined) continue;
      const t = termAt(i);
      if (t !== undefined && t !== a.term) {
        throw this.fail(
          "leader-completeness",
          `n${id}, leader of range ${range} term ${term}, has term ${t} at index ${i} where term ${a.term} was applied`,
        );
      }
    }
  }

  persisted(range: number, index: number, term: number, hash: number, node: NodeId): void {
    this.checksTotal++;
    const key = `${range}:${index}:${term}`;
    const prev = this.entries.get(key);
    if (prev === undefined) this.entries.set(key, hash);
    else if (prev !== hash) {
      throw this.fail(
        "log-matching",
        `n${node} holds another entry at range ${range} index ${index} term ${term}`,
      );
    }
  }

  appliedEntry(
    range: number,
    index: number,
    term: number,
    hash: number,
    digest: number,
    node: NodeId,
  ): void {
    this.checksTotal++;
    const key = `${range}:${index}`;
    const prev = this.applied.get(key);
    if (prev === undefined) {
      this.applied.set(key, { term, hash, digest });
      if (index > (this.appliedMax.get(range) ?? 0)) this.appliedMax.set(range, index);
      return;
    }
    if (prev.term !== term || prev.hash !== hash) {
      throw this.fail(
        "state-machine-safety",
        `n${node} applied term ${term} at range ${range} index ${index}, another replica term ${prev.term}`,
      );
    }
    if (prev.digest !== digest) {
      throw this.fail(
        "state-machine-safety",
        `n${node}'s applied state of range ${range} at index ${index} differs from another replica's`,
      );
    }
  }

  /** The node's disk now durably holds `term` at `index` (truncating anything after `fromIndex`). */
  durableEntries(
    node: NodeId,
    range: number,
    entries: readonly { index: number; term: number }[],
  ): void {
    let byRange = this.durable.get(node);
    if (byRange === undefined) {
      byRange = new Map();
      this.durable.set(node, byRange);
    }
    let log = byRange.get(range);
    if (log === undefined) {
      log = new Map();
      byRange.set(range, log);
    }
    const first = entries[0];
    if (first !== undefined) for (const i of [...log.keys()]) if (i >= first.index) log.delete(i);
    for (const e of entries) log.set(e.index, e.term);
  }

  /** Forgets what a node's disk held (its disk was wiped: it left the cluster for good). */
  wiped(node: NodeId): void {
    this.durable.delete(node);
  }

  acknowledged(
    range: number,
    index: number,
    term: number,
    voters: readonly NodeId[],
    by: NodeId,
  ): void {
    this.checksTotal++;
    const holders = voters.filter((v) => this.durable.get(v)?.get(range)?.get(index) === term);
    if (holders.length * 2 <= voters.length) {
      throw this.fail(
        "committed-is-durable",
        `n${by} acknowledged range ${range} index ${index} term ${term}, durable only on [${holders.join(",")}] of voters [${voters.join(",")}]`,
      );
    }
  }

  /**
   * Raft level: a leader moved its commit index to `commit`. It may only do so
   * to an entry of its own term (§5.4.2, Figure 8): entries of earlier terms
   * are committed only indirectly, under one of its own.
   */
  leaderCommit(
    range: number,
    node: NodeId,
    term: number,
    commit: number,
    commitTerm: number | undefined,
  ): void {
    this.checksTotal++;
    if (commitTerm !== undefined && commitTerm !== term) {
      throw this.fail(
        "leader-commit-rule",
        `n${node}, leader of range ${range} term ${term}, committed index ${commit} of term ${commitTerm} by counting replicas`,
      );
    }
  }

  /** Host level: a replica's whole applied state of `range` digests to `digest` at `index`. */
  appliedState(range: number, index: number, digest: number, node: NodeId): void {
    this.checksTotal++;
    const key = `${range}:${index}`;
    const prev = this.states.get(key);
    if (prev === undefined) this.states.set(key, { digest, node });
    else if (prev.digest !== digest) {
      throw this.fail(
        "state-machine-safety",
        `range ${range} at applied index ${index}: n${node}'s state differs from n${prev.node}'s`,
      );
    }
  }

  /** Host level: a voter set of `range` seen on some node (the last few are kept). */
  sawVoters(range: number, voters: readonly NodeId[]): void {
    if (voters.length === 0) return;
    const key = [...voters].sort((a, b) => a - b).join(",");
    const list = this.configs.get(range) ?? [];
    if (list[list.length - 1] === key) return;
    list.push(key);
    if (list.length > 6) list.shift();
    this.configs.set(range, list);
  }

  /**
   * Host level: a write acknowledged at `index`; `termOf(v)` is the term node v
   * durably holds there (-1: applied and compacted; undefined: absent). One entry
   * must be durable on a majority of some recent voter set of the range (during
   * a membership change the entry may have been committed by the old one).
   */
  checkAck(
    range: number,
    index: number,
    termOf: (v: NodeId) => number | undefined,
    by: NodeId,
  ): void {
    this.checksTotal++;
    const configs = (this.configs.get(range) ?? []).map(
      (k) => k.split(",").map(Number) as NodeId[],
    );
    const described: string[] = [];
    for (const voters of configs) {
      const counts = new Map<number, number>();
      let compacted = 0;
      const terms = voters.map((v) => termOf(v));
      for (const t of terms) {
        if (t === undefined) continue;
        if (t === -1) compacted++;
        else counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      const best = Math.max(0, ...counts.values()) + compacted;
      if (best * 2 > voters.length) return;
      described.push(`[${voters.join(",")}] terms ${terms.map((t) => t ?? "-").join(",")}`);
    }
    if (configs.length === 0) return;
    throw this.fail(
      "committed-is-durable",
      `n${by} acknowledged a write at range ${range} index ${index}, not durable on a majority of any recent voter set: ${described.join("; ")}`,
    );
  }

  /** Records the first violation and returns it, to be thrown. */
  fail(invariant: string, message: string): InvariantViolation {
    const v = new InvariantViolation(invariant, message);
    this.violation ??= v;
    return v;
  }
}
