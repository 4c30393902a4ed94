/**
 * Human-readable descriptions of Raft values, for logs, transcripts and test
 * failures (etcd-io/raft util.go DescribeMessage and friends). Output is
 * deterministic: ids ascend, bytes print as quoted text when printable.
 */
import { assertNever } from "../lib/index.js";
import { decodeConfChange } from "./conf-change-codec.js";
import type { Ready } from "./raw-node.js";
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  Snapshot,
  SoftState,
} from "./types.js";

/** Formats bytes as a quoted string if printable ASCII, otherwise as hex. */
export function describeBytes(b: Uint8Array): string {
  if (b.every((c) => c >= 0x20 && c < 0x7f && c !== 0x22)) return `"${String.fromCharCode(...b)}"`;
  return `0x${[...b].map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}

export function describeConfChange(cc: ConfChange): string {
  const parts = cc.changes.map((c) => {
    const kind = c.type === "add-node" ? "v" : c.type === "add-learner" ? "l" : "r";
    return `${kind}${c.nodeId}`;
  });
  const t = cc.transition === "auto" ? "" : ` ${cc.transition}`;
  return `${parts.join(" ")}${t}`.trim();
}

export function describeEntry(e: Entry): string {
  if (e.type === "conf-change") {
    let body: string;
    try {
      body = describeConfChange(decodeConfChange(e.data));
    } catch {
      body = describeBytes(e.data);
    }
    return `${e.term}/${e.index} EntryConfChange ${body}`;
  }
  return `${e.term}/${e.index} EntryNormal ${describeBytes(e.data)}`;
}

export function describeEntries(ents: readonly Entry[]): string {
  return ents.map(describeEntry).join("\n");
}

export function describeHardState(hs: HardState): string {
  return `Term:${hs.term} Vote:${hs.vote} Commit:${hs.commit}`;
}

export function describeSoftState(ss: SoftState): string {
  return `Lead:${ss.lead} State:${ss.raftState}`;
}

export function describeConfState(cs: ConfState): string {
  let s = `Voters:[${cs.voters.join(" ")}] VotersOutgoing:[${cs.votersOutgoing.join(" ")}] Learners:[${cs.learners.join(" ")}] LearnersNext:[${cs.learnersNext.join(" ")}]`;
  if (cs.autoLeave) s += " AutoLeave:true";
  return s;
}

export function describeSnapshot(s: Snapshot): string {
  const m = s.metadata;
  return `Index:${m.index} Term:${m.term} ConfState:${describeConfState(m.confState)}`;
}

function describeTarget(id: number): string {
  if (id === Number.MAX_SAFE_INTEGER) return "AppendThread";
  if (id === Number.MAX_SAFE_INTEGER - 1) return "ApplyThread";
  return String(id);
}

/** One line per message (plus nested entries/responses on following lines). */
export function describeMessage(m: Message): string {
  let s = `${describeTarget(m.from)}->${describeTarget(m.to)} ${m.type} Term:${m.term}`;
  switch (m.type) {
    case "MsgApp":
      s += ` Log:${m.logTerm}/${m.index} Commit:${m.commit}`;
      if (m.entries.length > 0) s += ` Entries:[${m.entries.map(describeEntry).join(", ")}]`;
      break;
    case "MsgAppResp":
      s += m.reject
        ? ` Log:${m.logTerm}/${m.index} Rejected (Hint: ${m.rejectHint})`
        : ` Log:0/${m.index}`;
      break;
    case "MsgVote":
    case "MsgPreVote":
      s += ` Log:${m.logTerm}/${m.index}${m.transfer ? " Transfer" : ""}`;
      break;
    case "MsgVoteResp":
    case "MsgPreVoteResp":
    case "MsgSnapStatus":
      if (m.reject) s += " Rejected";
      break;
    case "MsgHeartbeat":
      s += ` Commit:${m.commit}`;
      if (m.context) s += ` Context:${describeBytes(m.context)}`;
      if (m.quiesce) s += " Quiesce";
      break;
    case "MsgHeartbeatResp":
      if (m.context) s += ` Context:${describeBytes(m.context)}`;
      break;
    case "MsgProp":
      s += ` Entries:[${m.entries.map(describeEntry).join(", ")}]`;
      break;
    case "MsgSnap":
      s += ` Snapshot: ${describeSnapshot(m.snapshot)}`;
      break;
    case "MsgReadIndex":
      s += ` Context:${describeBytes(m.context)}`;
      break;
    case "MsgReadIndexResp":
      s += ` Index:${m.index} Context:${describeBytes(m.context)}`;
      break;
    case "MsgStorageAppend":
      if (m.hardState) s += ` HardState: ${describeHardState(m.hardState)}`;
      if (m.entries.length > 0) s += ` Entries:[${m.entries.map(describeEntry).join(", ")}]`;
      if (m.snapshot) s += ` Snapshot: ${describeSnapshot(m.snapshot)}`;
      for (const r of m.responses) s += `\n  Response: ${describeMessage(r)}`;
      break;
    case "MsgStorageAppendResp":
      s += ` Log:${m.logTerm}/${m.index}`;
      if (m.snapshot) s += ` Snapshot: ${describeSnapshot(m.snapshot)}`;
      break;
    case "MsgStorageApply":
      if (m.entries.length > 0) s += ` Entries:[${m.entries.map(describeEntry).join(", ")}]`;
      for (const r of m.responses) s += `\n  Response: ${describeMessage(r)}`;
      break;
    case "MsgStorageApplyResp":
      if (m.entries.length > 0) s += ` Entries:[${m.entries.map(describeEntry).join(", ")}]`;
      break;
    case "MsgHup":
    case "MsgBeat":
    case "MsgCheckQuorum":
    case "MsgUnreachable":
    case "MsgTransferLeader":
    case "MsgTimeoutNow":
    case "MsgForgetLeader":
      break; // nothing beyond the header
    default:
      assertNever(m, "message");
  }
  return s;
}

export function describeReady(rd: Ready): string {
  const lines: string[] = [];
  if (rd.softState) lines.push(describeSoftState(rd.softState));
  if (rd.hardState) lines.push(`HardState ${describeHardState(rd.hardState)}`);
  if (rd.readStates.length > 0) {
    lines.push(
      `ReadStates ${rd.readStates.map((r) => `${r.index}:${describeBytes(r.requestCtx)}`).join(" ")}`,
    );
  }
  if (rd.entries.length > 0) lines.push("Entries:", describeEntries(rd.entries));
  if (rd.snapshot) lines.push(`Snapshot ${describeSnapshot(rd.snapshot)}`);
  if (rd.committedEntries.length > 0)
    lines.push("CommittedEntries:", describeEntries(rd.committedEntries));
  if (rd.messages.length > 0) lines.push("Messages:", ...rd.messages.map(describeMessage));
  return lines.join("\n");
}
