/**
 * The driver actions of a scenario, each printing what it does: handling a
 * node's Ready (persist, send, apply, advance), delivering messages, running
 * the async append and apply threads, and `stabilize`, which repeats all of
 * them until no node has anything left to do.
 *
 * The order inside `processReady` is the contract of DESIGN.md §4: the
 * snapshot, entries and hard state are persisted first, then the messages go
 * out, then committed entries are applied, then `advance()` tells the node.
 */
import { decodeConfChange } from "../conf-change-codec.js";
import { LOCAL_APPEND_THREAD, LOCAL_APPLY_THREAD } from "../raft.js";
import type { Ready } from "../raw-node.js";
import type { Entry, Message, MsgStorageAppend, MsgStorageApply } from "../types.js";
import type { Env, EnvNode } from "./env.js";
import { isOperatingError } from "./env.js";
import {
  describeProgress,
  formatConfState,
  formatEntry,
  formatHardState,
  formatReadState,
  formatSnapshot,
  formatSoftState,
} from "./format.js";

function printList(env: Env, title: string, lines: readonly string[]): void {
  if (lines.length === 0) return;
  env.out.info(`${title}:`);
  env.out.indent(() => {
    for (const l of lines) env.out.info(l);
  });
}

function describeEntries(es: readonly Entry[]): string[] {
  return es.map((e) => formatEntry(e, decodeConfChange));
}

function printReady(env: Env, rd: Ready): void {
  if (rd.softState !== undefined) env.out.info(formatSoftState(rd.softState));
  if (rd.hardState !== undefined) env.out.info(`HardState ${formatHardState(rd.hardState)}`);
  printList(env, "Entries", describeEntries(rd.entries));
  if (rd.snapshot !== undefined) env.out.info(`Snapshot ${formatSnapshot(rd.snapshot)}`);
  printList(env, "CommittedEntries", describeEntries(rd.committedEntries));
  printList(
    env,
    "Messages",
    rd.messages.map((m) => env.describe(m)),
  );
  printList(env, "ReadStates", rd.readStates.map(formatReadState));
}

/** Applies committed entries to `n`'s state machine; conf changes go to the RawNode. */
function applyEntries(env: Env, n: EnvNode, entries: readonly Entry[]): void {
  for (const e of entries) {
    if (e.type === "conf-change") {
      const cc = decodeConfChange(e.data);
      n.confState = n.rawNode.applyConfChange(cc);
      env.out.info(`INFO ${n.id} switched to configuration ${formatConfState(n.confState)}`);
      n.applyState.apply(e.index, undefined);
    } else {
      n.applyState.apply(e.index, e.data);
    }
    n.recordHistory(e.index);
  }
}

function persistSnapshot(n: EnvNode, rdSnapshot: Ready["snapshot"] | undefined): void {
  if (rdSnapshot === undefined) return;
  n.storage.applySnapshot(rdSnapshot);
  n.applyState.restore(rdSnapshot.metadata.index, rdSnapshot.data);
  n.confState = rdSnapshot.metadata.confState;
  n.history = [];
}

/** At debug level: the node's commit and apply point, and a leader's view of each peer. */
function debugState(env: Env, n: EnvNode): void {
  const st = n.rawNode.status();
  env.out.debug(`DEBUG ${n.id} Commit:${st.hardState.commit} Applied:${st.applied}`);
  for (const [id, pr] of [...st.progress].sort((a, b) => a[0] - b[0])) {
    env.out.debug(`DEBUG ${n.id} progress ${id}: ${describeProgress(pr)}`);
  }
}

/** Handles one Ready of node `id`, if it has one. */
export function processReady(env: Env, id: number): void {
  const n = env.node(id);
  if (!n.rawNode.hasReady()) return;
  env.out.info(`> ${id} handling Ready`);
  env.out.indent(() => {
    const rd = n.rawNode.ready();
    printReady(env, rd);
    if (n.config.asyncStorageWrites) {
      for (const m of rd.messages) {
        if (m.to === LOCAL_APPEND_THREAD) n.appendWork.push(m);
        else if (m.to === LOCAL_APPLY_THREAD) n.applyWork.push(m);
        else env.messages.push(m);
      }
      env.reportRole(n);
      debugState(env, n);
      return;
    }
    persistSnapshot(n, rd.snapshot);
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    env.messages.push(...rd.messages);
    applyEntries(env, n, rd.committedEntries);
    n.rawNode.advance(rd);
    env.reportRole(n);
    debugState(env, n);
  });
}

/** Steps one message into its recipient, printing it and what it caused. */
function stepMessage(env: Env, n: EnvNode, m: Message): void {
  env.out.info(env.describe(m));
  try {
    n.rawNode.step(m);
  } catch (e) {
    if (!isOperatingError(e)) throw e;
    env.out.info(`error: ${e.code}`);
  }
  env.reportRole(n);
}

export interface DeliverOptions {
  /** Only messages of these types (all when undefined). */
  readonly types?: readonly string[];
  /** Deliver and also leave a copy in flight, so it arrives again later. */
  readonly keep?: boolean;
  /** Deliver in the reverse of the order they were sent. */
  readonly reverse?: boolean;
}

function matches(m: Message, to: number, opts: DeliverOptions): boolean {
  return m.to === to && (opts.types === undefined || opts.types.includes(m.type));
}

/** Delivers node `to`'s messages in flight; returns how many were taken off the network. */
export function deliverMsgs(env: Env, to: number, opts: DeliverOptions = {}): number {
  const mine = env.messages.filter((m) => matches(m, to, opts));
  if (mine.length === 0) return 0;
  if (!opts.keep) env.messages = env.messages.filter((m) => !matches(m, to, opts));
  if (opts.reverse) mine.reverse();
  const n = env.node(to);
  env.out.info(`> ${to} receiving messages`);
  env.out.indent(() => {
    for (const m of mine) {
      if (env.isCut(m)) {
        env.out.info(`dropped: ${env.describe(m)}`);
        continue;
      }
      stepMessage(env, n, m);
    }
  });
  return mine.length;
}

/** Drops node `to`'s messages in flight (of the given types), printing them. */
export function dropMsgs(env: Env, to: number, types?: readonly string[]): number {
  const opts: DeliverOptions = { types };
  const mine = env.messages.filter((m) => matches(m, to, opts));
  env.messages = env.messages.filter((m) => !matches(m, to, opts));
  for (const m of mine) env.out.info(`dropped: ${env.describe(m)}`);
  return mine.length;
}

/** Async mode: persists everything queued for `id`'s append thread and sends the responses. */
export function processAppendThread(env: Env, id: number): boolean {
  const n = env.node(id);
  if (n.appendWork.length === 0) return false;
  const work = n.appendWork as MsgStorageAppend[];
  n.appendWork = [];
  env.out.info(`> ${id} processing append thread`);
  env.out.indent(() => {
    for (const m of work) {
      env.out.info(`Processing: ${env.describe(m)}`);
      persistSnapshot(n, m.snapshot);
      n.storage.append(m.entries);
      if (m.hardState !== undefined) n.storage.setHardState(m.hardState);
      printList(
        env,
        "Responses",
        m.responses.map((r) => env.describe(r)),
      );
      env.messages.push(...m.responses);
    }
  });
  return true;
}

/** Async mode: applies everything queued for `id`'s apply thread and sends the responses. */
export function processApplyThread(env: Env, id: number): boolean {
  const n = env.node(id);
  if (n.applyWork.length === 0) return false;
  const work = n.applyWork as MsgStorageApply[];
  n.applyWork = [];
  env.out.info(`> ${id} processing apply thread`);
  env.out.indent(() => {
    for (const m of work) {
      env.out.info(`Applying: ${describeEntries(m.entries).join(", ")}`);
      applyEntries(env, n, m.entries);
      printList(
        env,
        "Responses",
        m.responses.map((r) => env.describe(r)),
      );
      env.messages.push(...m.responses);
    }
  });
  return true;
}

/**
 * Repeats, over `ids` in order: handle every Ready, run the async threads,
 * deliver every message; until a round does nothing. Bounded, so a livelock in
 * the core fails the script instead of hanging it.
 */
export function stabilize(env: Env, ids: readonly number[]): void {
  const ROUNDS_MAX = 1000;
  for (let round = 0; round < ROUNDS_MAX; round++) {
    let busy = false;
    for (const id of ids) {
      if (env.node(id).rawNode.hasReady()) {
        processReady(env, id);
        busy = true;
      }
    }
    for (const id of ids) {
      if (processAppendThread(env, id)) busy = true;
      if (processApplyThread(env, id)) busy = true;
    }
    for (const id of ids) {
      if (deliverMsgs(env, id) > 0) busy = true;
    }
    if (!busy) return;
  }
  throw new Error(`stabilize did not settle within ${ROUNDS_MAX} rounds`);
}
