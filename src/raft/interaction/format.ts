/**
 * One-line text forms of Raft's data for scenario transcripts. The forms are
 * fixed and diff-friendly: a term/index pair is always written `term/index`
 * (`Log:1/10` is the entry at index 10 of term 1), lists of ids as `(1,2,3)`,
 * data as a JSON string, and a message as `from->to Type Term:t` followed only
 * by the fields that type carries. Changing a form changes every transcript, so
 * a form, once chosen, stays.
 */
import { assertNever } from "../../lib/index.js";
import type { ProgressStatus } from "../status.js";
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  ReadState,
  Snapshot,
  SoftState,
} from "../types.js";

const decoder = new TextDecoder();

/** Turns a conf-change entry's payload back into a `ConfChange`; supplied by the environment. */
export type ConfChangeDecoder = (data: Uint8Array) => ConfChange;

/** How messages name the local storage threads in async-writes mode. */
export type TargetNamer = (id: number) => string;

export function formatData(data: Uint8Array | undefined): string {
  return JSON.stringify(data === undefined ? "" : decoder.decode(data));
}

export function formatIds(ids: readonly number[]): string {
  return `(${[...ids].sort((a, b) => a - b).join(",")})`;
}

/** `v4 l5 r2` for add voter 4, add learner 5, remove 2, with a non-default transition appended. */
export function formatConfChange(cc: ConfChange): string {
  const parts = cc.changes.map((c) => {
    switch (c.type) {
      case "add-node":
        return `v${c.nodeId}`;
      case "add-learner":
        return `l${c.nodeId}`;
      case "remove-node":
        return `r${c.nodeId}`;
      default:
        return assertNever(c.type, "conf change type");
    }
  });
  if (parts.length === 0) parts.push("leave-joint");
  if (cc.transition !== "auto") parts.push(`transition=${cc.transition}`);
  return parts.join(" ");
}

export function formatEntry(e: Entry, decodeConfChange: ConfChangeDecoder): string {
  switch (e.type) {
    case "normal":
      return `${e.term}/${e.index} EntryNormal ${formatData(e.data)}`;
    case "conf-change":
      return `${e.term}/${e.index} EntryConfChange ${formatConfChange(decodeConfChange(e.data))}`;
    default:
      return assertNever(e.type, "entry type");
  }
}

export function formatEntries(es: readonly Entry[], decodeConfChange: ConfChangeDecoder): string {
  return `[${es.map((e) => formatEntry(e, decodeConfChange)).join(", ")}]`;
}

export function formatConfState(cs: ConfState): string {
  const parts = [`Voters:${formatIds(cs.voters)}`];
  if (cs.votersOutgoing.length > 0) parts[0] += `&&${formatIds(cs.votersOutgoing)}`;
  if (cs.learners.length > 0) parts.push(`Learners:${formatIds(cs.learners)}`);
  if (cs.learnersNext.length > 0) parts.push(`LearnersNext:${formatIds(cs.learnersNext)}`);
  if (cs.autoLeave) parts.push("AutoLeave");
  return parts.join(" ");
}

export function formatSnapshot(s: Snapshot): string {
  const m = s.metadata;
  return `${m.term}/${m.index} ${formatConfState(m.confState)}`;
}

export function formatHardState(hs: HardState): string {
  return `Term:${hs.term} Vote:${hs.vote} Commit:${hs.commit}`;
}

export function formatSoftState(ss: SoftState): string {
  return `State:${ss.raftState} Lead:${ss.lead}`;
}

export function formatReadState(rs: ReadState): string {
  return `Index:${rs.index} Ctx:${formatData(rs.requestCtx)}`;
}

/** A follower's progress as its leader sees it: `state match= next=` and any flags. */
export function describeProgress(pr: ProgressStatus): string {
  let s = `${pr.state} match=${pr.match} next=${pr.next}`;
  if (pr.isLearner) s += " learner";
  if (pr.paused) s += " paused";
  if (pr.pendingSnapshot > 0) s += ` pendingSnap=${pr.pendingSnapshot}`;
  if (!pr.recentActive) s += " inactive";
  if (pr.inflightMsgs > 0) s += ` inflight=${pr.inflightMsgs}`;
  return s;
}

function ctx(context: Uint8Array | undefined): string {
  return context === undefined || context.length === 0 ? "" : ` Ctx:${formatData(context)}`;
}

/** The fields after `from->to Type Term:t`, by message type. */
function messageFields(m: Message, decodeConfChange: ConfChangeDecoder, name: TargetNamer): string {
  const entries = (es: readonly Entry[]): string =>
    es.length > 0 ? ` Entries:${formatEntries(es, decodeConfChange)}` : "";
  switch (m.type) {
    case "MsgHup":
    case "MsgBeat":
    case "MsgCheckQuorum":
    case "MsgUnreachable":
    case "MsgTransferLeader":
    case "MsgTimeoutNow":
    case "MsgForgetLeader":
      return "";
    case "MsgProp":
      return entries(m.entries);
    case "MsgApp":
      return ` Log:${m.logTerm}/${m.index} Commit:${m.commit}${entries(m.entries)}`;
    case "MsgAppResp":
      return m.reject
        ? ` Index:${m.index} Rejected Hint:${m.logTerm}/${m.rejectHint}`
        : ` Index:${m.index}`;
    case "MsgVote":
    case "MsgPreVote":
      return ` Log:${m.logTerm}/${m.index}${m.transfer ? " Transfer" : ""}`;
    case "MsgVoteResp":
    case "MsgPreVoteResp":
    case "MsgSnapStatus":
      return m.reject ? " Rejected" : "";
    case "MsgSnap":
      return ` Snapshot:${formatSnapshot(m.snapshot)}`;
    case "MsgHeartbeat":
      return ` Commit:${m.commit}${ctx(m.context)}`;
    case "MsgHeartbeatResp":
      return ctx(m.context);
    case "MsgReadIndex":
      return ctx(m.context);
    case "MsgReadIndexResp":
      return ` Index:${m.index}${ctx(m.context)}`;
    case "MsgStorageAppend": {
      const parts: string[] = [];
      if (m.hardState !== undefined) parts.push(` HardState:{${formatHardState(m.hardState)}}`);
      if (m.snapshot !== undefined) parts.push(` Snapshot:${formatSnapshot(m.snapshot)}`);
      parts.push(entries(m.entries));
      parts.push(responses(m.responses, decodeConfChange, name));
      return parts.join("");
    }
    case "MsgStorageAppendResp":
      return ` Log:${m.logTerm}/${m.index}${m.snapshot ? ` Snapshot:${formatSnapshot(m.snapshot)}` : ""}`;
    case "MsgStorageApply":
      return `${entries(m.entries)}${responses(m.responses, decodeConfChange, name)}`;
    case "MsgStorageApplyResp":
      return entries(m.entries);
    default:
      return assertNever(m, "message");
  }
}

function responses(
  ms: readonly Message[],
  decodeConfChange: ConfChangeDecoder,
  name: TargetNamer,
): string {
  if (ms.length === 0) return "";
  return ` Responses:[${ms.map((r) => formatMessage(r, decodeConfChange, name)).join(", ")}]`;
}

export function formatMessage(
  m: Message,
  decodeConfChange: ConfChangeDecoder,
  name: TargetNamer = String,
): string {
  return `${name(m.from)}->${name(m.to)} ${m.type} Term:${m.term}${messageFields(m, decodeConfChange, name)}`;
}
