/**
 * An in-memory cluster of Raft nodes for tests and the simulator: each node is
 * a `RawNode` over a `MemoryStorage` with a toy state machine (the list of
 * applied payloads), driven through the full Ready contract; messages travel
 * through a queue the test controls (etcd-io/raft raft_test.go `network`).
 *
 * Faults: cut links, isolate nodes, drop by probability (from a seeded `Rng`),
 * ignore message types, duplicate and reorder through `deliverOne`, restart a
 * node from its storage (or from a doctored one, `replaceNode`), tamper with
 * delivered messages. Safety checks: at most one leader per term across the
 * cluster, and committed logs and applied histories agree on common prefixes;
 * `onSend` and `onBecomeLeader` let a `SafetyObserver` watch every message that
 * leaves a node and every election won, for the full invariants.
 *
 * Everything is deterministic given the seed; nothing reads a clock.
 */
import {
  assert,
  isTesseraError,
  type LogIndex,
  logIndex,
  type NodeId,
  nodeId,
  type Rng,
  SeededRng,
  type Term,
} from "../../lib/index.js";
import { decodeConfChange } from "../conf-change-codec.js";
import type { Config } from "../config.js";
import { MemoryStorage } from "../memory-storage.js";
import { LOCAL_APPEND_THREAD, LOCAL_APPLY_THREAD } from "../raft.js";
import { RawNode, type Ready } from "../raw-node.js";
import type { ConfState, Entry, Message, MessageType, ReadState, Snapshot } from "../types.js";

export type NodeConfig = Partial<Omit<Config, "id" | "rng">>;

const enc = new TextEncoder();
const dec = new TextDecoder();

export function bytes(s: string): Uint8Array {
  return enc.encode(s);
}

export function text(b: Uint8Array): string {
  return dec.decode(b);
}

/** The default test configuration: election 10 ticks, heartbeat 1, generous limits. */
export function testConfig(id: NodeId, rng: Rng, overrides: NodeConfig = {}): Config {
  return {
    id,
    electionTick: 10,
    heartbeatTick: 1,
    maxSizePerMsg: 1024 * 1024,
    maxInflightMsgs: 256,
    rng,
    ...overrides,
  };
}

/** One simulated node: a RawNode, its storage and its applied state machine. */
export class SimNode {
  node: RawNode;
  /** Payloads of applied non-empty normal entries, in order. */
  state: string[] = [];
  appliedIndex: LogIndex = logIndex(0);
  confState: ConfState;
  readStates: ReadState[] = [];
  /** Every committed entry applied, in order (including empty and conf-change entries). */
  appliedEntries: Entry[] = [];
  /** Storage work waiting to be done in async-storage-writes mode (when deferred). */
  pendingStorage: Message[] = [];
  deferStorage = false;
  /**
   * Synchronous mode: take one Ready per drain and advance it only at the next
   * drain, so messages are stepped between ready() and advance() (as a driver
   * whose writes are in flight does).
   */
  lazyAdvance = false;
  private unadvanced: Ready | undefined;
  /** Called right after this node wins an election (from inside the step that won it). */
  onBecomeLeader: ((n: SimNode) => void) | undefined;

  constructor(
    readonly id: NodeId,
    readonly storage: MemoryStorage,
    readonly config: Config,
  ) {
    this.node = this.watch(new RawNode(config, storage));
    this.confState = storage.snapshot().metadata.confState;
    this.loadSnapshotState(storage.snapshot());
  }

  private loadSnapshotState(s: Snapshot): void {
    this.state = s.data.byteLength > 0 ? (JSON.parse(text(s.data)) as string[]) : [];
    this.appliedIndex = s.metadata.index;
    this.confState = s.metadata.confState;
  }

  /** Crashes and restarts the node from its durable storage (unstable state is lost). */
  restart(overrides: NodeConfig = {}): void {
    const snap = this.storage.snapshot();
    this.loadSnapshotState(snap);
    this.appliedEntries = [];
    this.pendingStorage = [];
    this.unadvanced = undefined;
    this.readStates = [];
    this.node = this.watch(
      new RawNode({ ...this.config, ...overrides, applied: snap.metadata.index }, this.storage),
    );
  }

  /**
   * Reports every `becomeLeader` of `node` the moment it happens. Scanning roles
   * between steps could miss a node that wins and loses leadership within one
   * step, and election safety is about every election won, not the ones seen.
   */
  private watch(node: RawNode): RawNode {
    const raft = node.raft;
    const becomeLeader = raft.becomeLeader.bind(raft);
    raft.becomeLeader = () => {
      becomeLeader();
      this.onBecomeLeader?.(this);
    };
    return node;
  }

  /** Snapshots the applied state at the applied index and compacts the log up to it. */
  compact(): void {
    const data = bytes(JSON.stringify(this.state));
    this.storage.createSnapshot(this.appliedIndex, this.confState, data);
    this.storage.compact(this.appliedIndex);
  }

  /** Whether the node has a Ready to take or one to advance. */
  busy(): boolean {
    return this.unadvanced !== undefined || this.node.hasReady();
  }

  /** Runs Ready cycles until there is nothing left; returns the messages for other nodes. */
  drain(): Message[] {
    if (this.unadvanced) {
      this.node.advance(this.unadvanced);
      this.unadvanced = undefined;
    }
    const out: Message[] = [];
    let rounds = 0;
    while (this.node.hasReady()) {
      assert(++rounds < 10_000, "ready loop does not converge");
      out.push(...this.handleReady(this.node.ready()));
      if (this.unadvanced) break;
    }
    return out;
  }

  /** Handles one Ready under its contract; returns messages addressed to other nodes. */
  handleReady(rd: Ready): Message[] {
    const async = this.config.asyncStorageWrites === true;
    if (!async) {
      this.persist(rd.snapshot, rd.entries, rd.hardState);
      this.applyAll(rd.snapshot, rd.committedEntries);
      this.readStates.push(...rd.readStates);
      const out = rd.messages.slice();
      if (this.lazyAdvance) this.unadvanced = rd;
      else this.node.advance(rd);
      return out;
    }
    this.readStates.push(...rd.readStates);
    const out: Message[] = [];
    for (const m of rd.messages) {
      if (m.to === LOCAL_APPEND_THREAD || m.to === LOCAL_APPLY_THREAD) this.pendingStorage.push(m);
      else out.push(m);
    }
    if (!this.deferStorage) out.push(...this.flushStorage());
    return out;
  }

  /** Async mode: performs the queued storage work in order, stepping local responses. */
  flushStorage(): Message[] {
    const out: Message[] = [];
    while (this.pendingStorage.length > 0) {
      const m = this.pendingStorage.shift()!;
      if (m.type === "MsgStorageAppend") {
        this.persist(m.snapshot, m.entries, m.hardState);
        if (m.snapshot) this.applyAll(m.snapshot, []);
        for (const r of m.responses) {
          if (r.to === this.id) this.node.step(r);
          else out.push(r);
        }
      } else if (m.type === "MsgStorageApply") {
        this.applyAll(undefined, m.entries);
        for (const r of m.responses) this.node.step(r);
      }
    }
    return out;
  }

  private persist(
    snap: Snapshot | undefined,
    entries: readonly Entry[],
    hs: Ready["hardState"],
  ): void {
    if (snap) this.storage.applySnapshot(snap);
    this.storage.append(entries);
    if (hs) this.storage.setHardState(hs);
  }

  private applyAll(snap: Snapshot | undefined, entries: readonly Entry[]): void {
    if (snap && snap.metadata.index > this.appliedIndex) this.loadSnapshotState(snap);
    for (const e of entries) {
      if (e.index <= this.appliedIndex) continue;
      assert(e.index === this.appliedIndex + 1, `applying ${e.index} after ${this.appliedIndex}`);
      this.appliedIndex = e.index;
      this.appliedEntries.push(e);
      if (e.type === "conf-change") {
        this.confState = this.node.applyConfChange(decodeConfChange(e.data));
      } else if (e.data.byteLength > 0) {
        this.state.push(text(e.data));
      }
    }
  }
}

export interface NetworkOptions {
  /** Node ids; defaults to 1..n. */
  readonly ids?: readonly number[];
  /** Voters of the initial configuration (default: all ids). */
  readonly voters?: readonly number[];
  /** Learners of the initial configuration. */
  readonly learners?: readonly number[];
  readonly config?: NodeConfig;
  /** Per-node configuration overrides. */
  readonly configFor?: Readonly<Record<number, NodeConfig>>;
  readonly seed?: number;
  /** Give every node's storage the initial configuration, members or not (spares to add later). */
  readonly bootstrapAll?: boolean;
}

/** A message dropped or delivered, for tests that watch traffic. */
export type MessageFilter = (m: Message) => boolean;

export class Network {
  readonly nodes = new Map<NodeId, SimNode>();
  /** Messages sent and not yet delivered, in send order. */
  inflight: Message[] = [];
  readonly rng: SeededRng;
  private cutLinks = new Set<string>();
  private dropProbability = new Map<string, number>();
  private ignoredTypes = new Set<MessageType>();
  /** Extra drop rule; return true to drop. */
  dropIf: MessageFilter | undefined;
  /** Sender reports snapshot success/failure automatically when a MsgSnap is delivered/dropped. */
  autoReportSnapshot = true;
  /** The leader seen for each term (election safety across the cluster). */
  readonly leaders = new Map<Term, NodeId>();
  /** Every message delivered, for tests that inspect traffic. */
  readonly delivered: Message[] = [];
  recordDelivered = false;
  /** Sees every message a node hands to the network, as it leaves the node. */
  onSend: ((m: Message) => void) | undefined;
  /** Sees every election won, at the moment it is won (see `SimNode.onBecomeLeader`). */
  onBecomeLeader: ((n: SimNode) => void) | undefined;
  /** Rewrites a message on delivery (fault injection: a buggy peer or a corrupting link). */
  tamper: ((m: Message) => Message) | undefined;

  constructor(opts: NetworkOptions | number = 3) {
    const o: NetworkOptions = typeof opts === "number" ? { ids: range(opts) } : opts;
    const ids = (o.ids ?? range(3)).map(nodeId);
    this.rng = new SeededRng(o.seed ?? 1);
    const voters = (o.voters ?? o.ids ?? range(3)).map(nodeId);
    const learners = (o.learners ?? []).map(nodeId);
    for (const id of ids) {
      const storage = new MemoryStorage();
      if (o.bootstrapAll || voters.includes(id) || learners.includes(id)) {
        storage.bootstrap({
          voters,
          learners,
          votersOutgoing: [],
          learnersNext: [],
          autoLeave: false,
        });
      }
      this.addNode(id, storage, { ...o.config, ...o.configFor?.[id] });
    }
  }

  /** Adds a node (a new member to be, or one restored from `storage`). */
  addNode(
    id: NodeId,
    storage: MemoryStorage = new MemoryStorage(),
    config: NodeConfig = {},
  ): SimNode {
    return this.install(new SimNode(id, storage, testConfig(id, this.rng.fork(), config)));
  }

  /**
   * Restarts node `id` over `storage` instead of its own (fault injection: a
   * node whose disk lost or changed what it had persisted). The node keeps its
   * configuration; its applied state is reloaded from the new storage.
   */
  replaceNode(id: number, storage: MemoryStorage): SimNode {
    const old = this.node(id);
    return this.install(new SimNode(old.id, storage, old.config));
  }

  private install(n: SimNode): SimNode {
    n.onBecomeLeader = (x) => this.onBecomeLeader?.(x);
    this.nodes.set(n.id, n);
    return n;
  }

  node(id: number): SimNode {
    const n = this.nodes.get(nodeId(id));
    assert(n, `no node ${id}`);
    return n;
  }

  raw(id: number): RawNode {
    return this.node(id).node;
  }

  // --- driving -------------------------------------------------------------

  /** Collects every node's Ready output into the in-flight queue. */
  collect(): void {
    for (const id of [...this.nodes.keys()].sort((a, b) => a - b)) {
      const n = this.nodes.get(id)!;
      for (const m of n.drain()) this.enqueue(m);
      this.observeLeader(n);
    }
  }

  private observeLeader(n: SimNode): void {
    const st = n.node.raft;
    if (st.state !== "leader") return;
    const seen = this.leaders.get(st.term);
    assert(
      seen === undefined || seen === n.id,
      `two leaders in term ${st.term}: ${seen} and ${n.id}`,
    );
    this.leaders.set(st.term, n.id);
  }

  /** Queues a message a node sends (every message leaving a node goes through here). */
  enqueue(m: Message): void {
    this.onSend?.(m);
    this.inflight.push(m);
  }

  private linkKey(from: number, to: number): string {
    return `${from}-${to}`;
  }

  private shouldDrop(m: Message): boolean {
    if (this.cutLinks.has(this.linkKey(m.from, m.to))) return true;
    if (this.ignoredTypes.has(m.type)) return true;
    const p =
      this.dropProbability.get(this.linkKey(m.from, m.to)) ?? this.dropProbability.get("*") ?? 0;
    if (p > 0 && this.rng.float() < p) return true;
    return this.dropIf?.(m) ?? false;
  }

  /** Delivers one message now (bypassing the queue); drop rules apply. */
  deliver(m: Message): void {
    const target = this.nodes.get(m.to);
    const drop = !target || this.shouldDrop(m);
    if (m.type === "MsgSnap" && this.autoReportSnapshot) {
      this.nodes.get(m.from)?.node.reportSnapshot(m.to, drop ? "failure" : "finish");
    }
    if (drop || !target) return;
    if (this.recordDelivered) this.delivered.push(m);
    const stepped = this.tamper ? this.tamper(m) : m;
    try {
      target.node.step(stepped);
    } catch (e) {
      // A forwarded proposal refused by the leader is an operating outcome, not a failure.
      if (!(m.type === "MsgProp" && isTesseraError(e))) throw e;
    }
  }

  /** Delivers the in-flight message at `i` (for reordering); returns it. */
  deliverOne(i = 0): Message | undefined {
    const [m] = this.inflight.splice(i, 1);
    if (m) this.deliver(m);
    return m;
  }

  /**
   * Loses the in-flight message at `i`. A lost snapshot is reported as failed
   * to its sender, as a real transport does (otherwise the leader would wait
   * for it forever).
   */
  dropOne(i = 0): Message | undefined {
    const [m] = this.inflight.splice(i, 1);
    if (m?.type === "MsgSnap" && this.autoReportSnapshot) {
      this.nodes.get(m.from)?.node.reportSnapshot(m.to, "failure");
    }
    return m;
  }

  /** Loses every in-flight message. */
  dropAll(): void {
    while (this.inflight.length > 0) this.dropOne(0);
  }

  /** Delivers a copy of the in-flight message at `i` while keeping it queued. */
  duplicate(i = 0): void {
    const m = this.inflight[i];
    if (m) this.inflight.push(m);
  }

  /** Runs Ready cycles and delivers messages until the network is quiet. */
  stabilize(maxSteps = 100_000): void {
    let steps = 0;
    for (;;) {
      this.collect();
      if (this.inflight.length === 0 && ![...this.nodes.values()].some((n) => n.busy())) return;
      while (this.inflight.length > 0) {
        assert(++steps < maxSteps, "network does not stabilize");
        this.deliverOne(0);
      }
    }
  }

  /** Steps `msgs` into their targets and stabilizes (etcd's network.send). */
  send(...msgs: Message[]): void {
    for (const m of msgs) this.deliver(m);
    this.stabilize();
  }

  /** Ticks the given nodes (default all) `n` times, stabilizing after each round. */
  tick(n = 1, ids?: readonly number[]): void {
    const targets = (ids ?? [...this.nodes.keys()]).map((id) => this.node(id));
    for (let i = 0; i < n; i++) {
      for (const t of targets) t.node.tick();
      this.stabilize();
    }
  }

  /** Ticks until some node is leader (bounded); returns it. */
  tickUntilLeader(maxTicks = 1000): NodeId {
    for (let i = 0; i < maxTicks; i++) {
      const l = this.leader();
      if (l !== undefined) return l;
      this.tick(1);
    }
    assert(false, "no leader elected");
  }

  campaign(id: number): void {
    this.raw(id).campaign();
    this.stabilize();
  }

  /** Proposes `data` at `id` and stabilizes; returns the typed error code if refused. */
  propose(id: number, data: string): string | undefined {
    try {
      this.raw(id).propose(bytes(data));
    } catch (e) {
      if (isTesseraError(e)) return e.code;
      throw e;
    }
    this.stabilize();
    return undefined;
  }

  // --- faults --------------------------------------------------------------

  cut(a: number, b: number): void {
    this.cutLinks.add(this.linkKey(a, b));
    this.cutLinks.add(this.linkKey(b, a));
  }

  /** Cuts only the direction a → b (an asymmetric partition). */
  cutOneWay(a: number, b: number): void {
    this.cutLinks.add(this.linkKey(a, b));
  }

  isolate(id: number): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cut(id, other);
  }

  /** Splits the cluster into groups that cannot talk to each other. */
  partition(...groups: number[][]): void {
    for (const g of groups) {
      for (const h of groups) {
        if (g === h) continue;
        for (const a of g) for (const b of h) this.cutOneWay(a, b);
      }
    }
  }

  /** Drops messages on a → b (or everywhere with "*") with probability p. */
  drop(from: number | "*", to: number, p: number): void {
    this.dropProbability.set(from === "*" ? "*" : this.linkKey(from, to), p);
  }

  ignore(type: MessageType): void {
    this.ignoredTypes.add(type);
  }

  /** Heals every partition and drop rule. */
  recover(): void {
    this.cutLinks.clear();
    this.dropProbability.clear();
    this.ignoredTypes.clear();
    this.dropIf = undefined;
  }

  // --- observation ---------------------------------------------------------

  /** The leader with the highest term, if any node is leader. */
  leader(): NodeId | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      const r = n.node.raft;
      if (r.state === "leader" && (!best || r.term > best.node.raft.term)) best = n;
    }
    return best?.id;
  }

  /**
   * Safety: applied histories are prefixes of one another (State Machine
   * Safety, §5.4.3) and committed entries agree in term (Log Matching, §5.3).
   */
  checkSafety(): void {
    const nodes = [...this.nodes.values()];
    for (const a of nodes) {
      for (const b of nodes) {
        if (a.id >= b.id) continue;
        const n = Math.min(a.state.length, b.state.length);
        for (let i = 0; i < n; i++) {
          assert(
            a.state[i] === b.state[i],
            `nodes ${a.id} and ${b.id} applied different values at ${i}`,
          );
        }
        const ca = a.node.raft.raftLog;
        const cb = b.node.raft.raftLog;
        const upTo = Math.min(ca.committed, cb.committed);
        const from = Math.max(ca.firstIndex(), cb.firstIndex());
        for (let i = from; i <= upTo; i++) {
          const ta = ca.termOrUndefined(logIndex(i));
          const tb = cb.termOrUndefined(logIndex(i));
          assert(ta === tb, `nodes ${a.id} and ${b.id} disagree on committed entry ${i}`);
        }
      }
    }
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
