/**
 * The world of a scenario: in-memory nodes, each a `RawNode` over its own
 * `MemoryStorage` with a toy state machine, and a network that is a single
 * queue of messages in flight. Nothing happens on its own: a script decides
 * which node handles its Ready, which messages are delivered or dropped, and
 * when time passes. Randomness is pinned (every election timeout is exactly
 * `electionTick`), so a script replays identically.
 *
 * The environment follows the contract of DESIGN.md §4: a node persists its
 * entries, hard state and snapshot before its messages leave, and applies
 * committed entries only after that. In async-storage-writes mode the same work
 * is queued for the node's append and apply threads, which a script runs
 * explicitly (or `stabilize` runs for it).
 */
import {
  assert,
  isTesseraError,
  logIndex,
  type NodeId,
  nodeId,
  type Rng,
  type TesseraError,
} from "../../lib/index.js";
import { decodeConfChange } from "../conf-change-codec.js";
import type { Config } from "../config.js";
import { MemoryStorage } from "../memory-storage.js";
import { LOCAL_APPEND_THREAD, LOCAL_APPLY_THREAD } from "../raft.js";
import { RawNode } from "../raw-node.js";
import { isLogStorageError, type LogStorageError } from "../storage.js";
import type { ConfState, Entry, Message, Snapshot } from "../types.js";
import { ApplyState } from "./apply-state.js";
import { formatMessage } from "./format.js";
import { Output } from "./output.js";

/** An Rng that always answers 0, so every randomized election timeout is exactly electionTick. */
const ZERO_RNG: Rng = { nextU32: () => 0, intn: () => 0, float: () => 0 };

export const ELECTION_TICK = 3;
export const HEARTBEAT_TICK = 1;

/** Names the async storage pseudo-nodes in transcripts. */
export function nodeName(id: number): string {
  if (id === LOCAL_APPEND_THREAD) return "AppendThread";
  if (id === LOCAL_APPLY_THREAD) return "ApplyThread";
  return String(id);
}

/**
 * A MemoryStorage whose `snapshot()` describes the state machine as applied
 * now, when that is newer than the last stored snapshot: a real store builds
 * the snapshot it sends from its current applied state (DESIGN.md §5), so a
 * snapshot sent to a new member already contains it in its configuration.
 */
export class ScenarioStorage extends MemoryStorage {
  appliedSnapshot: () => Snapshot | undefined = () => undefined;

  override snapshot(): Snapshot {
    const stored = super.snapshot();
    const fresh = this.appliedSnapshot();
    return fresh !== undefined && fresh.metadata.index > stored.metadata.index ? fresh : stored;
  }

  /** The snapshot actually stored (what a restart starts from). */
  storedSnapshot(): Snapshot {
    return super.snapshot();
  }
}

/** What the applied state machine looked like after an index, for building snapshots. */
interface HistoryPoint {
  readonly index: number;
  readonly values: readonly string[];
  readonly confState: ConfState;
}

export class EnvNode {
  rawNode: RawNode;
  readonly applyState = new ApplyState();
  confState: ConfState;
  history: HistoryPoint[] = [];
  /** Async mode: work handed to the append and apply threads, oldest first. */
  appendWork: Message[] = [];
  applyWork: Message[] = [];
  /** The role and term last reported, to print role changes. */
  lastRole = "";
  lastTerm = 0;

  constructor(
    readonly id: NodeId,
    readonly config: Config,
    readonly storage: ScenarioStorage,
  ) {
    storage.appliedSnapshot = () => this.appliedSnapshot();
    const snap = storage.storedSnapshot();
    this.confState = snap.metadata.confState;
    this.applyState.restore(snap.metadata.index, snap.data);
    this.rawNode = new RawNode({ ...config, applied: logIndex(snap.metadata.index) }, storage);
    this.noteRole();
  }

  /** Rebuilds the RawNode from what the storage holds, as after a crash; the state machine restarts from the snapshot. */
  restart(): void {
    const snap = this.storage.storedSnapshot();
    this.confState = snap.metadata.confState;
    this.applyState.restore(snap.metadata.index, snap.data);
    this.history = [];
    this.appendWork = [];
    this.applyWork = [];
    this.rawNode = new RawNode(
      { ...this.config, applied: logIndex(snap.metadata.index) },
      this.storage,
    );
    this.noteRole();
  }

  /** A snapshot of the state machine at its applied index. */
  appliedSnapshot(): Snapshot | undefined {
    const index = this.applyState.appliedIndex;
    if (index === 0 || index > this.storage.lastIndex()) return undefined;
    return {
      data: this.applyState.encode(),
      metadata: {
        index: logIndex(index),
        term: this.storage.term(logIndex(index)),
        confState: this.confState,
      },
    };
  }

  /** Records the current role so that only later changes are printed. */
  noteRole(): void {
    const st = this.rawNode.status();
    this.lastRole = st.softState.raftState;
    this.lastTerm = st.hardState.term;
  }

  recordHistory(index: number): void {
    this.history.push({ index, values: [...this.applyState.values], confState: this.confState });
  }

  /** The state machine image at `index`, for a snapshot there. */
  historyAt(index: number): HistoryPoint | undefined {
    if (index === this.storage.storedSnapshot().metadata.index) {
      const snap = this.storage.storedSnapshot();
      const st = new ApplyState();
      st.restore(index, snap.data);
      return { index, values: st.values, confState: snap.metadata.confState };
    }
    return this.history.find((h) => h.index === index);
  }
}

export class Env {
  readonly out = new Output();
  readonly nodes = new Map<number, EnvNode>();
  /** Messages in flight, in the order they were sent. */
  messages: Message[] = [];
  /** Directed links that drop everything (`from>to`). */
  readonly cutLinks = new Set<string>();

  node(id: number): EnvNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  ids(): number[] {
    return [...this.nodes.keys()].sort((a, b) => a - b);
  }

  describe(m: Message): string {
    return formatMessage(m, decodeConfChange, nodeName);
  }

  isCut(m: Message): boolean {
    return this.cutLinks.has(`${m.from}>${m.to}`);
  }

  /** Adds a node; its storage is bootstrapped from `snapshot` when one is given. */
  addNode(id: number, config: Config, snapshot: Snapshot | undefined): EnvNode {
    assert(!this.nodes.has(id), `node ${id} exists`);
    const storage = new ScenarioStorage();
    if (snapshot !== undefined) storage.applySnapshot(snapshot);
    const node = new EnvNode(nodeId(id), config, storage);
    this.nodes.set(id, node);
    return node;
  }

  /** Prints the role changes of `n` since last noted. */
  reportRole(n: EnvNode): void {
    const st = n.rawNode.status();
    const t = st.hardState.term;
    const role = st.softState.raftState;
    if (role !== n.lastRole || t !== n.lastTerm) {
      this.out.info(`INFO ${n.id} became ${role} at term ${t}`);
    }
    n.lastRole = role;
    n.lastTerm = t;
  }

  /** Runs `f` against node `id`'s RawNode, then reports role changes; a refusal prints its code. */
  withNode(id: number, f: (n: EnvNode) => void): void {
    const n = this.node(id);
    try {
      f(n);
    } catch (e) {
      if (isOperatingError(e)) this.out.always(`error: ${e.code}`);
      else throw e;
    }
    this.reportRole(n);
  }

  /** The entries of `n`'s storage, first to last. */
  storedEntries(n: EnvNode): Entry[] {
    const first = n.storage.firstIndex();
    const last = n.storage.lastIndex();
    if (last < first) return [];
    return n.storage.entries(first, logIndex(last + 1), Number.MAX_SAFE_INTEGER);
  }

  config(id: number, base: Omit<Config, "id" | "rng" | "electionTick" | "heartbeatTick">): Config {
    return {
      ...base,
      id: nodeId(id),
      rng: ZERO_RNG,
      electionTick: ELECTION_TICK,
      heartbeatTick: HEARTBEAT_TICK,
    };
  }
}

/** An operating error of the core (a refused proposal, a bad conf change): printed, not thrown. */
export function isOperatingError(e: unknown): e is TesseraError | LogStorageError {
  return isTesseraError(e) || isLogStorageError(e);
}
