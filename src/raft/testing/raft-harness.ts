/**
 * Helpers for tests that drive the `Raft` state machine directly, message by
 * message, as the paper tests do (etcd-io/raft raft_test.go helpers): building
 * a node over a prepared storage, collecting its outgoing messages (stepping
 * the ones it addresses to itself once "persisted"), and building messages.
 */
import {
  type LogIndex,
  logIndex,
  type NodeId,
  nodeId,
  SeededRng,
  type Term,
  term,
} from "../../lib/index.js";
import { validateConfig } from "../config.js";
import { MemoryStorage } from "../memory-storage.js";
import { Raft } from "../raft.js";
import type { Entry, HardState, Message, MsgApp, MsgAppResp } from "../types.js";
import { bytes, type NodeConfig, testConfig } from "./network.js";

/** Entries with the given terms at indexes 1, 2, … */
export function entriesWithTerms(...terms: number[]): Entry[] {
  return terms.map((t, i) => entry(t, i + 1));
}

export function entry(t: number, index: number, data?: string): Entry {
  return {
    term: term(t),
    index: logIndex(index),
    type: "normal",
    data: data ? bytes(data) : new Uint8Array(),
  };
}

export interface TestStorageOptions {
  readonly peers?: readonly number[];
  readonly learners?: readonly number[];
  readonly entries?: readonly Entry[];
  readonly hardState?: Partial<HardState>;
}

export function newTestStorage(o: TestStorageOptions = {}): MemoryStorage {
  const s = new MemoryStorage();
  s.bootstrap({
    voters: (o.peers ?? [1, 2, 3]).map(nodeId),
    learners: (o.learners ?? []).map(nodeId),
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
  });
  s.append(o.entries ?? []);
  if (o.hardState) {
    s.setHardState({ term: term(0), vote: nodeId(0), commit: logIndex(0), ...o.hardState });
  }
  return s;
}

export function newTestRaft(
  id: number,
  storage: MemoryStorage = newTestStorage(),
  config: NodeConfig = {},
  seed = id,
): Raft {
  return new Raft(validateConfig(testConfig(nodeId(id), new SeededRng(seed), config)), storage);
}

/**
 * The messages `r` wants to send. Messages it addresses to itself once its
 * state is durable (self-votes, self-acks) are stepped first, as a driver
 * would after persisting.
 */
export function readMessages(r: Raft): Message[] {
  for (;;) {
    const after = r.msgsAfterAppend;
    if (after.length === 0) break;
    r.msgsAfterAppend = [];
    for (const m of after) {
      if (m.to === r.id) r.step(m);
      else r.msgs.push(m);
    }
  }
  const msgs = r.msgs;
  r.msgs = [];
  return msgs;
}

/** The follower's success reply to an append (etcd acceptAndReply). */
export function acceptAndReply(m: Message): MsgAppResp {
  if (m.type !== "MsgApp") throw new Error(`expected MsgApp, got ${m.type}`);
  return {
    type: "MsgAppResp",
    from: m.to,
    to: m.from,
    term: m.term,
    index: logIndex(m.index + m.entries.length),
    reject: false,
    rejectHint: logIndex(0),
    logTerm: term(0),
  };
}

/**
 * Makes the leader's empty entry of its term committed and applied, as if both
 * followers acknowledged it (etcd commitNoopEntry).
 */
export function commitNoopEntry(r: Raft, s: MemoryStorage): void {
  if (r.state !== "leader") throw new Error("commitNoopEntry needs a leader");
  r.broadcastAppend();
  for (const m of readMessages(r)) r.step(acceptAndReply(m));
  readMessages(r);
  s.append(r.raftLog.nextUnstableEnts());
  r.raftLog.appliedTo(r.raftLog.committed);
  r.raftLog.stableTo(r.raftLog.lastIndex(), r.raftLog.lastTerm());
}

/** An append message as a leader would send it. */
export function msgApp(o: {
  from: number;
  to: number;
  term: number;
  logTerm?: number;
  index?: number;
  entries?: Entry[];
  commit?: number;
}): MsgApp {
  return {
    type: "MsgApp",
    from: nodeId(o.from),
    to: nodeId(o.to),
    term: term(o.term),
    logTerm: term(o.logTerm ?? 0),
    index: logIndex(o.index ?? 0),
    entries: o.entries ?? [],
    commit: logIndex(o.commit ?? 0),
  };
}

export function propose(r: Raft, data = ""): void {
  r.step({
    type: "MsgProp",
    from: r.id,
    to: r.id,
    term: term(0),
    entries: [{ term: term(0), index: logIndex(0), type: "normal", data: bytes(data) }],
  });
}

export function hup(r: Raft): void {
  r.step({ type: "MsgHup", from: r.id, to: r.id, term: term(0) });
}

/** Sorts messages by recipient (then type), for order-insensitive comparisons. */
export function sortMessages(msgs: Message[]): Message[] {
  return msgs.slice().sort((a, b) => a.to - b.to || a.type.localeCompare(b.type));
}

/** A projection of a message to the fields a test compares. */
export function brief(m: Message): Record<string, unknown> {
  const o: Record<string, unknown> = { type: m.type, from: m.from, to: m.to, term: m.term };
  for (const k of ["index", "logTerm", "commit", "reject", "rejectHint"] as const) {
    if (k in m) o[k] = (m as unknown as Record<string, unknown>)[k];
  }
  return o;
}

export type { LogIndex, NodeId, Term };
