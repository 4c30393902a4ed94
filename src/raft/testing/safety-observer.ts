/**
 * The safety observer: watches an in-memory `Network` and checks Raft's safety
 * properties (paper Figure 3) over the whole history of a run, after every
 * step, across restarts:
 *
 * - election safety (§5.2): at most one election is won per term, ever — not
 *   by two nodes, and not twice by one node that restarted — and no node grants
 *   its vote to two candidates in one term;
 * - log matching (§5.3): two logs holding an entry with the same index and term
 *   are identical up to it. Checked as its inductive form over every node's
 *   whole non-compacted log, committed or not: an (index, term) pair always
 *   names the same entry and the same term at index − 1;
 * - leader completeness (§5.4): an entry committed while some node was in term
 *   t is in the log (or under the snapshot) of every leader of a term ≥ t, from
 *   the moment it wins;
 * - state machine safety (§5.4.3): whatever any node holds at an index it has
 *   committed, and whatever it applies, is the entry committed there;
 * - durability: a vote or an append acknowledgement leaves a node only once it
 *   is persisted, and a restarted node's storage still holds every vote and
 *   entry it acknowledged in its durable term.
 *
 * A committed entry is recorded with the lowest current term among the nodes
 * whose commit index covers it when it is first seen. Any node that knows an
 * entry is committed is in a term at least that of the commit, so the record
 * never asks more of a leader than §5.4 promises.
 *
 * A broken property throws a `SafetyViolation` naming it. Everything here only
 * reads the nodes; it never changes what they do.
 */
import { equalBytes, type LogIndex, logIndex, type NodeId, type Term } from "../../lib/index.js";
import type { RawNode } from "../raw-node.js";
import type { Entry, Message, MsgAppResp, MsgVoteResp } from "../types.js";
import type { Network, SimNode } from "./network.js";

export const INVARIANTS = [
  "election-safety",
  "log-matching",
  "leader-completeness",
  "state-machine-safety",
  "durability",
] as const;
export type Invariant = (typeof INVARIANTS)[number];

/** A broken Raft safety property, seen by the observer. */
export class SafetyViolation extends Error {
  override readonly name = "SafetyViolation";
  constructor(
    readonly invariant: Invariant,
    message: string,
  ) {
    super(`${invariant}: ${message}`);
  }
}

export interface ObserverOptions {
  /** Properties not to check (to show that each check alone catches its faults). */
  readonly skip?: readonly Invariant[];
}

/** The first entry seen at an (index, term) pair, and the term before it. */
interface LogRecord {
  readonly entry: Entry;
  readonly prevTerm: Term;
}

/** An index some node has committed; `term` and `entry` are unknown if no node still had it. */
interface CommitRecord {
  readonly index: LogIndex;
  readonly term: Term | undefined;
  readonly entry: Entry | undefined;
  /** The lowest current term among the nodes whose commit covered the index when first seen. */
  readonly seenInTerm: Term;
}

/** What one node has acknowledged to others, across all its incarnations. */
interface Ledger {
  termMax: number;
  readonly votes: Map<Term, NodeId>;
  /** The highest append acknowledged in the highest term an append was acknowledged in. */
  lastAppend: { index: LogIndex; entryTerm: Term | undefined; ackTerm: Term } | undefined;
}

/** One run of a node between restarts. */
interface Incarnation {
  readonly node: RawNode;
  readonly applied: Entry[];
  appliedChecked: number;
}

const ALL_BYTES = Number.MAX_SAFE_INTEGER;

export class SafetyObserver {
  /** The node that won each term's election. */
  readonly leaderOfTerm = new Map<Term, NodeId>();
  /** Committed indexes, in order from 1 (index i at i − 1). */
  readonly committed: CommitRecord[] = [];
  /** Observations made so far (one per step). */
  checks = 0;
  private readonly skip: ReadonlySet<Invariant>;
  private readonly entries = new Map<LogIndex, Map<Term, LogRecord>>();
  private readonly appliedAt = new Map<LogIndex, Entry>();
  private readonly ledgers = new Map<NodeId, Ledger>();
  private readonly incarnations = new Map<NodeId, Incarnation>();

  constructor(
    private readonly nt: Network,
    opts: ObserverOptions = {},
  ) {
    this.skip = new Set(opts.skip ?? []);
    nt.onSend = (m) => this.onSend(m);
    nt.onBecomeLeader = (n) => this.onBecomeLeader(n);
    for (const n of this.sortedNodes()) this.noteIncarnation(n);
  }

  /** Checks every property against the network as it is now; call after every step. */
  check(): void {
    this.checks++;
    const nodes = this.sortedNodes();
    for (const n of nodes) this.checkIncarnation(n);
    for (const n of nodes) this.checkLeaderKnown(n);
    const fresh = this.recordCommits(nodes);
    for (const n of nodes) this.checkLog(n);
    for (const n of nodes) this.checkApplied(n);
    this.checkLeadersHold(fresh, nodes);
  }

  /** The highest index any node has been seen to commit. */
  committedMax(): number {
    return this.committed.length;
  }

  private fail(invariant: Invariant, message: string): void {
    if (this.skip.has(invariant)) return;
    throw new SafetyViolation(invariant, `${message} (observation ${this.checks})`);
  }

  private sortedNodes(): SimNode[] {
    return [...this.nt.nodes.values()].sort((a, b) => a.id - b.id);
  }

  // --- election safety -----------------------------------------------------

  private onBecomeLeader(n: SimNode): void {
    const t = n.node.raft.term;
    const prev = this.leaderOfTerm.get(t);
    if (prev !== undefined) {
      const who = prev === n.id ? "it had already won" : `node ${prev} had already won it`;
      this.fail("election-safety", `node ${n.id} won the election of term ${t}, but ${who}`);
    }
    this.leaderOfTerm.set(t, n.id);
    for (const r of this.committed) this.checkLeaderHolds(n, r);
  }

  /** A leader the hook did not report would mean elections escape the check. */
  private checkLeaderKnown(n: SimNode): void {
    const r = n.node.raft;
    if (r.state !== "leader") return;
    const won = this.leaderOfTerm.get(r.term);
    if (won !== n.id) {
      this.fail("election-safety", `node ${n.id} leads term ${r.term}, won by ${won ?? "nobody"}`);
    }
  }

  // --- commits, log matching, state machine safety ---------------------------

  /** Records the indexes newly committed anywhere; returns them. */
  private recordCommits(nodes: readonly SimNode[]): CommitRecord[] {
    const fresh: CommitRecord[] = [];
    const target = Math.max(...nodes.map((n) => n.node.raft.raftLog.committed));
    for (let i = this.committed.length + 1; i <= target; i++) {
      const r = this.commitRecord(nodes, logIndex(i));
      this.committed.push(r);
      fresh.push(r);
    }
    return fresh;
  }

  private commitRecord(nodes: readonly SimNode[], i: LogIndex): CommitRecord {
    let seenInTerm = Number.MAX_SAFE_INTEGER as Term;
    let term: Term | undefined;
    let entry: Entry | undefined;
    for (const n of nodes) {
      const raft = n.node.raft;
      const log = raft.raftLog;
      if (log.committed < i) continue;
      if (raft.term < seenInTerm) seenInTerm = raft.term;
      if (entry !== undefined) continue;
      if (i >= log.firstIndex()) {
        entry = log.slice(i, logIndex(i + 1), ALL_BYTES)[0];
        term = entry?.term;
      } else {
        term ??= log.termOrUndefined(i);
      }
    }
    return { index: i, term, entry, seenInTerm };
  }

  /**
   * One pass over a node's log: every (index, term) pair must name the entry
   * and predecessor term first seen for it (log matching, by induction from
   * the snapshot point), and every entry the node has committed must be the
   * committed one (state machine safety).
   */
  private checkLog(n: SimNode): void {
    const log = n.node.raft.raftLog;
    const base = logIndex(log.firstIndex() - 1);
    let prevTerm = log.termOrUndefined(base);
    if (prevTerm === undefined) {
      this.fail("log-matching", `node ${n.id} lost the term of its snapshot point ${base}`);
      return;
    }
    if (base > 0) this.checkCommitted(n, base, prevTerm, undefined);
    for (const e of log.allEntries()) {
      this.checkPair(n, e, prevTerm);
      if (e.index <= log.committed) this.checkCommitted(n, e.index, e.term, e);
      prevTerm = e.term;
    }
  }

  private checkPair(n: SimNode, e: Entry, prevTerm: Term): void {
    let byTerm = this.entries.get(e.index);
    if (byTerm === undefined) {
      byTerm = new Map();
      this.entries.set(e.index, byTerm);
    }
    const rec = byTerm.get(e.term);
    if (rec === undefined) {
      byTerm.set(e.term, { entry: e, prevTerm });
      return;
    }
    if (rec.prevTerm !== prevTerm) {
      this.fail(
        "log-matching",
        `node ${n.id} has entry ${e.index}@${e.term} after term ${prevTerm}, elsewhere after term ${rec.prevTerm}`,
      );
    } else if (rec.entry !== e && !sameEntry(rec.entry, e)) {
      this.fail("log-matching", `node ${n.id} has a different entry ${e.index}@${e.term}`);
    }
  }

  private checkCommitted(n: SimNode, i: LogIndex, t: Term, e: Entry | undefined): void {
    const rec = this.committed[i - 1];
    if (rec === undefined) {
      this.fail("state-machine-safety", `node ${n.id} committed ${i}, past every recorded commit`);
      return;
    }
    if (rec.term !== undefined && rec.term !== t) {
      this.fail(
        "state-machine-safety",
        `node ${n.id} holds ${i}@${t} as committed, but ${i}@${rec.term} was committed`,
      );
    } else if (e && rec.entry && rec.entry !== e && !sameEntry(rec.entry, e)) {
      this.fail("state-machine-safety", `node ${n.id} holds a different committed entry ${i}`);
    }
  }

  /** Every entry applied since the last check is the one committed (and applied elsewhere) there. */
  private checkApplied(n: SimNode): void {
    const inc = this.incarnations.get(n.id)!;
    const applied = inc.applied;
    for (; inc.appliedChecked < applied.length; inc.appliedChecked++) {
      const e = applied[inc.appliedChecked]!;
      const other = this.appliedAt.get(e.index);
      if (other === undefined) this.appliedAt.set(e.index, e);
      else if (other !== e && !sameEntry(other, e)) {
        this.fail("state-machine-safety", `node ${n.id} applied a different entry at ${e.index}`);
      }
      this.checkCommitted(n, e.index, e.term, e);
    }
  }

  // --- leader completeness -------------------------------------------------

  private checkLeadersHold(fresh: readonly CommitRecord[], nodes: readonly SimNode[]): void {
    if (fresh.length === 0) return;
    for (const n of nodes) {
      if (n.node.raft.state !== "leader") continue;
      for (const r of fresh) this.checkLeaderHolds(n, r);
    }
  }

  private checkLeaderHolds(n: SimNode, r: CommitRecord): void {
    const raft = n.node.raft;
    if (raft.term < r.seenInTerm) return;
    const log = raft.raftLog;
    // Under the snapshot point: compacted, and covered by the snapshot.
    if (r.index < log.firstIndex() - 1) return;
    const t = log.termOrUndefined(r.index);
    if (t === undefined || (r.term !== undefined && t !== r.term)) {
      this.fail(
        "leader-completeness",
        `node ${n.id}, leader of term ${raft.term}, lacks entry ${r.index}@${r.term ?? "?"} committed by term ${r.seenInTerm}`,
      );
    }
  }

  // --- durability ----------------------------------------------------------

  private ledger(id: NodeId): Ledger {
    let l = this.ledgers.get(id);
    if (l === undefined) {
      l = { termMax: 0, votes: new Map(), lastAppend: undefined };
      this.ledgers.set(id, l);
    }
    return l;
  }

  private onSend(m: Message): void {
    const n = this.nt.nodes.get(m.from);
    if (n === undefined) return;
    if (m.type === "MsgVoteResp" && !m.reject) this.noteVote(n, m);
    else if (m.type === "MsgAppResp" && !m.reject) this.noteAppendAck(n, m);
  }

  private noteVote(n: SimNode, m: MsgVoteResp): void {
    const l = this.ledger(n.id);
    const before = l.votes.get(m.term);
    if (before !== undefined && before !== m.to) {
      this.fail(
        "election-safety",
        `node ${n.id} voted for ${before} and for ${m.to} in term ${m.term}`,
      );
    }
    const hs = n.storage.getHardState();
    if (hs.term < m.term || (hs.term === m.term && hs.vote !== m.to)) {
      this.fail(
        "durability",
        `node ${n.id} sent its vote for ${m.to} in term ${m.term} before persisting it (stored term ${hs.term}, vote ${hs.vote})`,
      );
    }
    l.votes.set(m.term, m.to);
    l.termMax = Math.max(l.termMax, m.term);
  }

  private noteAppendAck(n: SimNode, m: MsgAppResp): void {
    const l = this.ledger(n.id);
    const s = n.storage;
    const hs = s.getHardState();
    if (hs.term < m.term) {
      this.fail("durability", `node ${n.id} acked in term ${m.term} with stored term ${hs.term}`);
    }
    if (s.lastIndex() < m.index) {
      this.fail(
        "durability",
        `node ${n.id} acked entry ${m.index} with stored entries up to ${s.lastIndex()}`,
      );
      return;
    }
    const snapIndex = s.snapshot().metadata.index;
    const entryTerm = m.index >= snapIndex ? s.term(m.index) : undefined;
    const raft = n.node.raft;
    if (raft.term === m.term && hs.term === m.term && entryTerm !== undefined) {
      const t = raft.raftLog.termOrUndefined(m.index);
      if (t !== undefined && t !== entryTerm) {
        this.fail(
          "durability",
          `node ${n.id} acked ${m.index}@${t} but stored ${m.index}@${entryTerm}`,
        );
      }
    }
    const last = l.lastAppend;
    if (
      last === undefined ||
      m.term > last.ackTerm ||
      (m.term === last.ackTerm && m.index >= last.index)
    ) {
      l.lastAppend = { index: m.index, entryTerm, ackTerm: m.term };
    }
    l.termMax = Math.max(l.termMax, m.term);
  }

  private noteIncarnation(n: SimNode): Incarnation {
    const inc = { node: n.node, applied: n.appliedEntries, appliedChecked: 0 };
    this.incarnations.set(n.id, inc);
    return inc;
  }

  /** A node seen with a new RawNode has restarted: its storage must hold what it acknowledged. */
  private checkIncarnation(n: SimNode): void {
    const inc = this.incarnations.get(n.id);
    if (inc !== undefined && inc.node === n.node) return;
    this.noteIncarnation(n);
    if (inc === undefined) return;
    const l = this.ledger(n.id);
    const s = n.storage;
    const hs = s.getHardState();
    if (hs.term < l.termMax) {
      this.fail(
        "durability",
        `node ${n.id} restarted in term ${hs.term} after acknowledging in term ${l.termMax}`,
      );
    }
    const vote = l.votes.get(hs.term);
    if (vote !== undefined && hs.vote !== vote) {
      this.fail(
        "durability",
        `node ${n.id} restarted without its vote for ${vote} in term ${hs.term} (stored vote ${hs.vote})`,
      );
    }
    const a = l.lastAppend;
    if (a === undefined || a.ackTerm !== hs.term || a.index <= s.snapshot().metadata.index) return;
    const t = a.index <= s.lastIndex() ? s.term(a.index) : undefined;
    if (t === undefined || (a.entryTerm !== undefined && t !== a.entryTerm)) {
      this.fail(
        "durability",
        `node ${n.id} restarted without entry ${a.index}@${a.entryTerm ?? "?"} it acknowledged in term ${a.ackTerm}`,
      );
    }
  }
}

function sameEntry(a: Entry, b: Entry): boolean {
  return (
    a.index === b.index && a.term === b.term && a.type === b.type && equalBytes(a.data, b.data)
  );
}
