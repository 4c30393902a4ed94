/**
 * The command vocabulary of scenario scripts: one handler per verb, each
 * reading its arguments through `BlockArgs` and printing through the
 * environment's `Output`. The vocabulary is fixed; an unknown verb or argument
 * is a SYNTAX error, never silently ignored.
 *
 *   add-nodes N [voters=(…) learners=(…) index=I content=S prevote= checkquorum=
 *               read-only=safe|lease async-storage-writes= max-inflight=
 *               max-inflight-bytes= max-size-per-msg= max-uncommitted-size=
 *               max-committed-size-per-ready= disable-proposal-forwarding=
 *               step-down-on-removal=]
 *   campaign ID · propose ID DATA… · propose-conf-change ID [transition=…] (input: v4 l5 r2)
 *   process-ready ID… · deliver-msgs [ID…] [drop=(…) type=(…) keep= reverse=]
 *   process-append-thread ID… · process-apply-thread ID… · stabilize [ID…]
 *   tick-election ID… · tick-heartbeat ID… · tick ID… [n=N]
 *   partition ID… · cut A B [oneway=true] · heal
 *   raft-log ID · raft-state · status ID · app-state ID…
 *   read-index ID CTX · transfer-leadership from= to= · forget-leader ID
 *   compact ID INDEX · restart ID · report-unreachable ID TARGET
 *   report-snapshot ID TARGET ok|fail · log-level none|info|debug
 */
import { logIndex, nodeId, TesseraError, term } from "../../lib/index.js";
import { decodeConfChange } from "../conf-change-codec.js";
import type { Config, ReadOnlyOption } from "../config.js";
import type { ConfChangeSingle, ConfChangeTransition, ConfState, Snapshot } from "../types.js";
import { BlockArgs } from "./args.js";
import { ELECTION_TICK, type Env, HEARTBEAT_TICK } from "./env.js";
import {
  describeProgress,
  formatConfState,
  formatEntry,
  formatHardState,
  formatIds,
} from "./format.js";
import { LOG_LEVELS } from "./output.js";
import type { ScriptBlock } from "./script.js";
import {
  deliverMsgs,
  dropMsgs,
  processAppendThread,
  processApplyThread,
  processReady,
  stabilize,
} from "./steps.js";

const encoder = new TextEncoder();

type Handler = (env: Env, args: BlockArgs, block: ScriptBlock) => void;

function syntax(block: ScriptBlock, what: string): never {
  throw new TesseraError("SYNTAX", `line ${block.line}: ${block.verb}: ${what}`);
}

/** The ids named positionally, or every node when none are. */
function idsOrAll(env: Env, args: BlockArgs): number[] {
  const ids = args.positionalInts();
  return ids.length > 0 ? ids : env.ids();
}

function addNodes(env: Env, args: BlockArgs, block: ScriptBlock): void {
  const count = args.positionalInt(0, "node count");
  const voters = args.ints("voters");
  const learners = args.ints("learners") ?? [];
  const index = args.int("index");
  const content = args.string("content") ?? "";
  const readOnly = args.oneOf("read-only", ["safe", "lease"], "safe");
  const base: Omit<Config, "id" | "rng" | "electionTick" | "heartbeatTick"> = {
    preVote: args.bool("prevote"),
    checkQuorum: args.bool("checkquorum"),
    readOnlyOption: (readOnly === "lease" ? "lease-based" : "safe") satisfies ReadOnlyOption,
    asyncStorageWrites: args.bool("async-storage-writes"),
    maxInflightMsgs: args.intOr("max-inflight", 256),
    maxInflightBytes: args.intOr("max-inflight-bytes", 0),
    maxSizePerMsg: args.intOr("max-size-per-msg", 0),
    maxUncommittedEntriesSize: args.intOr("max-uncommitted-size", 0),
    maxCommittedSizePerReady: args.intOr("max-committed-size-per-ready", 0),
    disableProposalForwarding: args.bool("disable-proposal-forwarding"),
    stepDownOnRemoval: args.bool("step-down-on-removal"),
  };
  let snapshot: Snapshot | undefined;
  if (voters !== undefined || index !== undefined) {
    if (voters === undefined) syntax(block, "index= needs voters=");
    const confState: ConfState = {
      voters: voters.map(nodeId),
      learners: learners.map(nodeId),
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    };
    snapshot = {
      data: encoder.encode(content),
      metadata: { confState, index: logIndex(index ?? 1), term: term(1) },
    };
  }
  const first = env.ids().reduce((a, b) => Math.max(a, b), 0) + 1;
  for (let id = first; id < first + count; id++) {
    const n = env.addNode(id, env.config(id, base), snapshot);
    const st = n.rawNode.status();
    const last = n.storage.lastIndex();
    env.out.info(
      `INFO ${id} started: ${formatHardState(st.hardState)} Applied:${st.applied} ` +
        `Last:${n.storage.term(last)}/${last} ${formatConfState(st.config)}`,
    );
  }
}

function parseConfChanges(block: ScriptBlock): ConfChangeSingle[] {
  const words = block.input
    .join(" ")
    .split(/\s+/)
    .filter((w) => w !== "");
  return words.map((w): ConfChangeSingle => {
    const m = /^([vlr])(\d+)$/.exec(w);
    if (m === null) syntax(block, `bad change '${w}' (want v<id>, l<id> or r<id>)`);
    const id = nodeId(Number(m[2]));
    if (m[1] === "v") return { type: "add-node", nodeId: id };
    if (m[1] === "l") return { type: "add-learner", nodeId: id };
    return { type: "remove-node", nodeId: id };
  });
}

function proposeConfChange(env: Env, args: BlockArgs, block: ScriptBlock): void {
  const id = args.positionalInt(0, "node id");
  const word = args.oneOf("transition", ["auto", "implicit", "explicit"], "auto");
  const transition: ConfChangeTransition =
    word === "implicit" ? "joint-implicit" : word === "explicit" ? "joint-explicit" : "auto";
  const changes = parseConfChanges(block);
  env.withNode(id, (n) => n.rawNode.proposeConfChange({ transition, changes }));
}

function deliver(env: Env, args: BlockArgs): void {
  const drop = args.ints("drop");
  const types = args.strings("type");
  const keep = args.bool("keep");
  const reverse = args.bool("reverse");
  if (drop !== undefined) {
    for (const id of drop) dropMsgs(env, id, types);
  }
  const ids = args.positionalInts();
  if (drop !== undefined && ids.length === 0) return;
  for (const id of ids.length > 0 ? ids : env.ids()) {
    deliverMsgs(env, id, { ...(types ? { types } : {}), keep, reverse });
  }
}

function tickN(env: Env, args: BlockArgs, ticks: number): void {
  for (const id of args.positionalInts()) {
    env.withNode(id, (n) => {
      for (let i = 0; i < ticks; i++) n.rawNode.tick();
    });
  }
}

/**
 * Forgets every cut link. Messages sent across a cut while it stood are lost
 * now: a partition drops what crosses it, however late the delivery.
 */
function clearCuts(env: Env): void {
  const lost = env.messages.filter((m) => env.isCut(m));
  env.messages = env.messages.filter((m) => !env.isCut(m));
  for (const m of lost) env.out.info(`dropped: ${env.describe(m)}`);
  env.cutLinks.clear();
}

function partition(env: Env, args: BlockArgs): void {
  const group = new Set(args.positionalInts());
  clearCuts(env);
  for (const a of env.ids()) {
    for (const b of env.ids()) {
      if (group.has(a) !== group.has(b)) env.cutLinks.add(`${a}>${b}`);
    }
  }
  env.out.info(`INFO partitioned ${formatIds([...group])} from the rest`);
}

function raftLog(env: Env, args: BlockArgs): void {
  const n = env.node(args.positionalInt(0, "node id"));
  const entries = env.storedEntries(n);
  if (entries.length === 0) {
    env.out.always(
      `log is empty: first index=${n.storage.firstIndex()}, last index=${n.storage.lastIndex()}`,
    );
    return;
  }
  for (const e of entries) env.out.always(formatEntry(e, decodeConfChange));
}

function membership(cs: ConfState, id: number): string {
  const has = (ids: readonly number[]): boolean => ids.includes(id);
  if (has(cs.voters) || has(cs.votersOutgoing)) return "voter";
  if (has(cs.learners)) return "learner";
  return "non-member";
}

function raftState(env: Env): void {
  for (const id of env.ids()) {
    const st = env.node(id).rawNode.status();
    env.out.always(
      `${id}: ${st.softState.raftState} (${membership(st.config, id)}) Term:${st.hardState.term} ` +
        `Lead:${st.softState.lead}`,
    );
  }
}

function status(env: Env, args: BlockArgs): void {
  const n = env.node(args.positionalInt(0, "node id"));
  const st = n.rawNode.status();
  env.out.always(
    `${formatHardState(st.hardState)} Applied:${st.applied} State:${st.softState.raftState} Lead:${st.softState.lead}`,
  );
  env.out.always(`Config: ${formatConfState(st.config)}`);
  if (st.leadTransferee !== 0) env.out.always(`LeadTransferee: ${st.leadTransferee}`);
  for (const [id, pr] of [...st.progress].sort((a, b) => a[0] - b[0])) {
    env.out.always(`${id}: ${describeProgress(pr)}`);
  }
}

function compact(env: Env, args: BlockArgs, block: ScriptBlock): void {
  const n = env.node(args.positionalInt(0, "node id"));
  const index = args.positionalInt(1, "index");
  const point = n.historyAt(index);
  if (point === undefined) syntax(block, `node ${n.id} has not applied index ${index}`);
  if (index > n.storage.storedSnapshot().metadata.index) {
    n.storage.createSnapshot(
      logIndex(index),
      point.confState,
      encoder.encode(point.values.join(",")),
    );
  }
  n.storage.compact(logIndex(index));
  env.out.info(`INFO ${n.id} compacted log to index ${index}`);
  raftLog(env, args);
}

const HANDLERS: Record<string, Handler> = {
  "add-nodes": addNodes,
  campaign: (env, args) =>
    env.withNode(args.positionalInt(0, "node id"), (n) => n.rawNode.campaign()),
  propose: (env, args, block) => {
    const [idWord, ...data] = args.positional();
    if (idWord === undefined || data.length === 0) syntax(block, "want: propose ID DATA…");
    const id = args.positionalInt(0, "node id");
    for (const d of data) env.withNode(id, (n) => n.rawNode.propose(encoder.encode(d)));
  },
  "propose-conf-change": proposeConfChange,
  "process-ready": (env, args) => {
    for (const id of idsOrAll(env, args)) processReady(env, id);
  },
  "deliver-msgs": deliver,
  "process-append-thread": (env, args) => {
    for (const id of idsOrAll(env, args)) processAppendThread(env, id);
  },
  "process-apply-thread": (env, args) => {
    for (const id of idsOrAll(env, args)) processApplyThread(env, id);
  },
  stabilize: (env, args) => stabilize(env, idsOrAll(env, args)),
  "tick-election": (env, args) => tickN(env, args, ELECTION_TICK),
  "tick-heartbeat": (env, args) => tickN(env, args, HEARTBEAT_TICK),
  tick: (env, args) => tickN(env, args, args.intOr("n", 1)),
  partition,
  cut: (env, args) => {
    const a = args.positionalInt(0, "node id");
    const b = args.positionalInt(1, "node id");
    env.cutLinks.add(`${a}>${b}`);
    if (!args.bool("oneway")) env.cutLinks.add(`${b}>${a}`);
    env.out.info(`INFO cut ${a}${args.bool("oneway") ? "->" : "<->"}${b}`);
  },
  heal: (env) => {
    clearCuts(env);
    env.out.info("INFO healed all links");
  },
  "raft-log": raftLog,
  "raft-state": raftState,
  status,
  "app-state": (env, args) => {
    for (const id of idsOrAll(env, args))
      env.out.always(`${id}: ${env.node(id).applyState.describe()}`);
  },
  "read-index": (env, args, block) => {
    const id = args.positionalInt(0, "node id");
    const ctx = args.positional()[1] ?? syntax(block, "missing request context");
    env.withNode(id, (n) => n.rawNode.readIndex(encoder.encode(ctx)));
  },
  "transfer-leadership": (env, args) => {
    const from = args.intReq("from");
    const to = args.intReq("to");
    env.withNode(from, (n) => n.rawNode.transferLeader(nodeId(to)));
  },
  "forget-leader": (env, args) =>
    env.withNode(args.positionalInt(0, "node id"), (n) => n.rawNode.forgetLeader()),
  compact,
  restart: (env, args) => {
    const n = env.node(args.positionalInt(0, "node id"));
    n.restart();
    // Messages a crashed node had not yet read are lost with it.
    env.messages = env.messages.filter((m) => m.to !== n.id);
    const st = n.rawNode.status();
    env.out.info(
      `INFO ${n.id} restarted: ${formatHardState(st.hardState)} Applied:${st.applied} ${formatConfState(st.config)}`,
    );
  },
  "report-unreachable": (env, args) => {
    const id = args.positionalInt(0, "node id");
    const target = args.positionalInt(1, "target id");
    env.withNode(id, (n) => n.rawNode.reportUnreachable(nodeId(target)));
  },
  "report-snapshot": (env, args, block) => {
    const id = args.positionalInt(0, "node id");
    const target = args.positionalInt(1, "target id");
    const outcome = args.positional()[2];
    if (outcome !== "ok" && outcome !== "fail") syntax(block, "want ok or fail");
    env.withNode(id, (n) =>
      n.rawNode.reportSnapshot(nodeId(target), outcome === "ok" ? "finish" : "failure"),
    );
  },
  "log-level": (env, args, block) => {
    const level = args.positional()[0];
    if (!LOG_LEVELS.includes(level as never))
      syntax(block, `log level must be one of ${LOG_LEVELS.join("|")}`);
    env.out.level = level as (typeof LOG_LEVELS)[number];
  },
};

/** Runs one block against `env` and returns what it printed. */
export function executeBlock(env: Env, block: ScriptBlock): string {
  const handler = HANDLERS[block.verb];
  if (handler === undefined) syntax(block, "unknown command");
  const args = new BlockArgs(block);
  handler(env, args, block);
  args.checkAllUsed();
  return env.out.take();
}
