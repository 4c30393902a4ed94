/**
 * `RaftKvNode`: a raft-level simulated node. It runs Tessera's real Raft core
 * (`RawNode`, PreVote, CheckQuorum, ReadIndex or lease reads) and real KV
 * state machine (`applyWrite`, `executeRead`, the command codec) with a small
 * driver of its own over the simulated disk, bus and timers. It exercises the
 * consensus core under the whole simulated world (and its testing knobs)
 * independently of the range layer; `HostNode` runs the range layer itself.
 *
 * Driver rules (DESIGN.md §4): a Ready's entries and hard state are durable
 * (journal write resolved) before its messages are sent and its committed
 * entries applied, unless the `ackBeforeSync` knob breaks exactly that. Only
 * one Ready is in flight at a time. The KV state is rebuilt on restart by
 * re-applying the durable log from index 1 (there is no compaction).
 */
import {
  applyWrite,
  decodeCommand,
  encodeCommand,
  executeRead,
  type KvReply,
  MemoryKvStore,
  type ReadCommand,
  type WriteCommand,
} from "../../src/kv/index.js";
import {
  type Clock,
  type LogIndex,
  type NodeId,
  type RangeId,
  type Rng,
  rangeId,
  TesseraError,
} from "../../src/lib/index.js";
import {
  EMPTY_CONF_STATE,
  type Entry,
  MemoryStorage,
  type Message,
  type RaftTestingKnobs,
  RawNode,
} from "../../src/raft/index.js";
import { encodeRecord, fnv1a, journalKey, readJournal } from "./journal.js";
import type { SafetyMonitor } from "./monitor.js";
import type { SimBus } from "./sim-bus.js";
import type { SimEngine } from "./sim-disk.js";
import type { SimTimers } from "./sim-timers.js";

export const RAFT_RANGE: RangeId = rangeId(1);

export interface RaftKvNodeOptions {
  readonly id: NodeId;
  readonly voters: readonly NodeId[];
  readonly engine: SimEngine;
  readonly bus: SimBus;
  readonly timers: SimTimers;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly monitor: SafetyMonitor;
  readonly tickMs: number;
  /** How strong reads take their read point: a lease read or a ReadIndex round (per request, as the range layer does). */
  readonly readMode: "lease" | "safe";
  readonly msgBytesMax: number;
  readonly requestTimeoutMs: number;
  readonly raftKnobs: RaftTestingKnobs;
  readonly ackBeforeSync: boolean;
  readonly note: (text: string) => void;
  /** The driver failed (an assertion of the core, say): a bug. */
  readonly onFatal: (e: unknown) => void;
}

interface Waiter {
  resolve(r: KvReply): void;
  reject(e: unknown): void;
  cancel(): void;
}

export class RaftKvNode {
  readonly id: NodeId;
  private readonly node: RawNode;
  private readonly storage = new MemoryStorage();
  private readonly kv = new MemoryKvStore();
  private readonly journal;
  private nextSeq: number;
  private processing = false;
  private stopped = false;
  private applied = 0;
  private digest = 0x811c9dc5;
  private nextProposal = 0;
  private readonly proposalBase: number;
  private versionNext = 1n;
  private readonly writes = new Map<string, Waiter>();
  private readonly reads = new Map<
    string,
    { read: ReadCommand; index: number | undefined; w: Waiter }
  >();
  private lastLeaderTerm = -1;
  private readonly appliedProposals = new Set<string>();
  /** The monotonic time the ticks run have reached (see `catchUp`). */
  private tickedToMs: number;

  constructor(private readonly o: RaftKvNodeOptions) {
    this.id = o.id;
    this.tickedToMs = o.clock.monotonicMs();
    this.journal = o.engine.db("raft-journal");
    this.storage.bootstrap({ ...EMPTY_CONF_STATE, voters: [...o.voters] });
    const { records, nextSeq } = readJournal(this.journal); // throws CORRUPTION
    this.nextSeq = nextSeq;
    for (const r of records) {
      if (r.entries.length > 0) this.storage.append(r.entries);
      if (r.hardState) this.storage.setHardState(r.hardState);
    }
    const durable =
      this.storage.lastIndex() >= this.storage.firstIndex()
        ? this.storage.entries(
            this.storage.firstIndex(),
            (this.storage.lastIndex() + 1) as LogIndex,
            Number.MAX_SAFE_INTEGER,
          )
        : [];
    o.monitor.durableEntries(o.id, RAFT_RANGE, durable);
    this.proposalBase = o.rng.nextU32();
    this.node = new RawNode(
      {
        id: o.id,
        electionTick: 10,
        heartbeatTick: 1,
        maxInflightMsgs: 64,
        maxSizePerMsg: o.msgBytesMax,
        checkQuorum: true,
        preVote: true,
        readOnlyOption: "safe",
        rng: o.rng,
        testingKnobs: o.raftKnobs,
      },
      this.storage,
    );
    o.bus.onRaft((_from, _range, msgs) => {
      if (this.stopped) return;
      // The ticks due first, as the range layer does: time passed before these arrived.
      this.catchUp();
      this.guard(() => {
        for (const m of msgs) this.stepSafely(m);
      });
      this.schedule();
    });
    o.bus.onUnreachable((peer) => {
      this.node.reportUnreachable(peer);
    });
    o.timers.every(o.tickMs, () => {
      if (this.stopped) return;
      this.catchUp();
      this.schedule();
    });
    this.schedule();
  }

  get term(): number {
    return this.node.raft.term;
  }

  get isLeader(): boolean {
    return this.node.raft.state === "leader";
  }

  get appliedIndex(): number {
    return this.applied;
  }

  get commitIndex(): number {
    return this.node.raft.raftLog.committed;
  }

  get appliedDigest(): number {
    return this.digest;
  }

  stop(): void {
    this.stopped = true;
  }

  write(cmd: WriteCommand): Promise<KvReply> {
    const pid = `${this.proposalBase.toString(16)}.${this.nextProposal++}`;
    const stamp = { nowMs: this.o.clock.nowMs(), version: this.versionNext++ };
    const body = encodeCommand(cmd, stamp);
    const data = new Uint8Array(1 + pid.length + body.length);
    data[0] = pid.length;
    data.set(new TextEncoder().encode(pid), 1);
    data.set(body, 1 + pid.length);
    return new Promise<KvReply>((resolve, reject) => {
      try {
        this.node.propose(data);
      } catch (e) {
        reject(e);
        return;
      }
      this.writes.set(
        pid,
        this.waiter(resolve, reject, () => this.writes.delete(pid), "write"),
      );
      this.schedule();
    });
  }

  /**
   * Runs the ticks the monotonic clock says are due, as the range layer's
   * scheduler does (src/range/scheduler.ts `catchUp`): a lease counts ticks,
   * and a timer that fired late after a pause ticks only once.
   */
  private catchUp(): void {
    const now = this.o.clock.monotonicMs();
    const due = Math.floor((now - this.tickedToMs) / this.o.tickMs);
    if (due <= 0) return;
    const n = Math.min(due, 2 * this.node.raft.config.electionTick);
    this.tickedToMs = n === due ? this.tickedToMs + due * this.o.tickMs : now;
    for (let i = 0; i < n; i++) this.guard(() => this.node.tick());
  }

  read(cmd: ReadCommand): Promise<KvReply> {
    const ctx = `${this.proposalBase.toString(16)}.r${this.nextProposal++}`;
    // Before a lease is judged: the clock may have run on without ticks.
    this.catchUp();
    return new Promise<KvReply>((resolve, reject) => {
      try {
        this.node.readIndex(new TextEncoder().encode(ctx), { mode: this.o.readMode });
      } catch (e) {
        reject(e);
        return;
      }
      const w = this.waiter(resolve, reject, () => this.reads.delete(ctx), "read");
      this.reads.set(ctx, { read: cmd, index: undefined, w });
      this.schedule();
    });
  }

  /** A digest of the whole KV state, for convergence checks. */
  stateDigest(): number {
    let h = 0x811c9dc5;
    for (const { key, value } of this.kv.entries()) {
      h = fnv1a(value, fnv1a(key, h));
    }
    return h;
  }

  private waiter(
    resolve: (r: KvReply) => void,
    reject: (e: unknown) => void,
    forget: () => void,
    what: string,
  ): Waiter {
    const timer = this.o.timers.after(this.o.requestTimeoutMs, () => {
      forget();
      reject(new TesseraError("TIMEOUT", `${what} timed out`));
    });
    return { resolve, reject, cancel: () => timer.cancel() };
  }

  /** Runs `fn`; a throw is fatal for this incarnation (the core asserted). */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.stopped = true;
      this.o.onFatal(e);
    }
  }

  private stepSafely(m: Message): void {
    try {
      this.node.step(m);
    } catch (e) {
      // A message for a removed peer or of a stale kind is refused; anything else is a bug.
      if (!(e instanceof TesseraError)) throw e;
    }
  }

  private schedule(): void {
    if (this.processing || this.stopped) return;
    this.processing = true;
    this.o.timers.soon(() => {
      this.processReadies().catch((e: unknown) => {
        this.stopped = true;
        this.o.onFatal(e);
      });
    });
  }

  private async processReadies(): Promise<void> {
    while (!this.stopped && this.node.hasReady()) {
      const rd = this.node.ready();
      if (
        rd.softState?.raftState === "leader" ||
        (this.isLeader && this.lastLeaderTerm !== this.term)
      ) {
        this.lastLeaderTerm = this.term;
        this.o.note(`leader of term ${this.term}`);
        this.o.monitor.leader(RAFT_RANGE, this.term, this.id, (i) => this.termAt(i));
      }
      if (
        rd.hardState &&
        this.isLeader &&
        rd.hardState.commit > this.storage.getHardState().commit
      ) {
        this.o.monitor.leaderCommit(
          RAFT_RANGE,
          this.id,
          this.term,
          rd.hardState.commit,
          this.termAt(rd.hardState.commit),
        );
      }
      if (rd.entries.length > 0) this.storage.append(rd.entries);
      if (rd.hardState) this.storage.setHardState(rd.hardState);
      for (const e of rd.entries)
        this.o.monitor.persisted(RAFT_RANGE, e.index, e.term, fnv1a(e.data), this.id);
      if (rd.entries.length > 0 || rd.hardState) {
        const seq = this.nextSeq++;
        const record = encodeRecord({ hardState: rd.hardState, entries: rd.entries });
        const entries = rd.entries.map((e) => ({ index: e.index, term: e.term }));
        const durable = this.o.engine
          .write(() => this.journal.put(journalKey(seq), record))
          .then(() => this.o.monitor.durableEntries(this.id, RAFT_RANGE, entries));
        // The deliberate bug: answer (send acks and votes, apply) before the disk has it.
        if (!this.o.ackBeforeSync) await durable;
        if (this.stopped) return;
      }
      this.send(rd.messages);
      for (const e of rd.committedEntries) this.apply(e);
      for (const rs of rd.readStates) {
        const r = this.reads.get(new TextDecoder().decode(rs.requestCtx));
        if (r) r.index = rs.index;
      }
      this.serveReads();
      this.node.advance();
    }
    this.processing = false;
  }

  private send(messages: readonly Message[]): void {
    const byPeer = new Map<NodeId, Message[]>();
    for (const m of messages) {
      const list = byPeer.get(m.to) ?? [];
      list.push(m);
      byPeer.set(m.to, list);
    }
    for (const [to, msgs] of byPeer) this.o.bus.sendRaft(to, RAFT_RANGE, msgs);
  }

  private apply(e: Entry): void {
    const hash = fnv1a(e.data);
    this.digest = fnv1a(e.data, Math.imul(this.digest ^ e.index, 0x01000193) >>> 0);
    this.applied = e.index;
    let reply: KvReply | undefined;
    let pid = "";
    if (e.type === "normal" && e.data.length > 0) {
      const n = e.data[0] as number;
      pid = new TextDecoder().decode(e.data.subarray(1, 1 + n));
      // A forwarded proposal (MsgProp) that the network duplicated is in the log twice: apply it once.
      if (!this.appliedProposals.has(pid)) {
        this.appliedProposals.add(pid);
        const { cmd, stamp } = decodeCommand(e.data.subarray(1 + n));
        reply = applyWrite(
          cmd as WriteCommand,
          { nowMs: stamp.nowMs, version: stamp.version },
          this.kv,
        );
      }
    }
    this.o.monitor.appliedEntry(RAFT_RANGE, e.index, e.term, hash, this.digest, this.id);
    const w = this.writes.get(pid);
    if (w && reply) {
      this.writes.delete(pid);
      w.cancel();
      this.o.monitor.acknowledged(RAFT_RANGE, e.index, e.term, this.o.voters, this.id);
      w.resolve(reply);
    }
  }

  private serveReads(): void {
    for (const [ctx, r] of this.reads) {
      if (r.index === undefined || r.index > this.applied) continue;
      this.reads.delete(ctx);
      r.w.cancel();
      r.w.resolve(executeRead(r.read, { nowMs: this.o.clock.nowMs() }, this.kv));
    }
  }

  private termAt(i: number): number | undefined {
    return this.node.raft.raftLog.termOrUndefined(i as LogIndex);
  }
}
