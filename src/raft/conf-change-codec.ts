/**
 * The encoding of a `ConfChange` inside a conf-change log entry. Raft itself
 * must read conf-change entries it proposes (to refuse a second pending change
 * and to recognise the empty "leave joint" change), so the format is Raft's.
 *
 * Format: UTF-8 JSON `{t, c: [[type, id]...], x?: number[]}`. Decoding checks
 * every field and fails with `CORRUPTION` on anything else. The empty "auto"
 * change (leave joint) encodes as zero bytes, so its payload is 0 and the
 * uncommitted-size limit can never refuse the automatic leave (as in etcd,
 * where an empty ConfChangeV2 marshals to nothing).
 */
import { nodeId, TesseraError } from "../lib/index.js";
import type {
  ConfChange,
  ConfChangeSingle,
  ConfChangeTransition,
  ConfChangeType,
} from "./types.js";

const TRANSITIONS: readonly ConfChangeTransition[] = ["auto", "joint-implicit", "joint-explicit"];
const TYPES: readonly ConfChangeType[] = ["add-node", "remove-node", "add-learner"];

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const noContext = !cc.context || cc.context.byteLength === 0;
  if (cc.transition === "auto" && cc.changes.length === 0 && noContext) return new Uint8Array();
  const obj: { t: string; c: [string, number][]; x?: number[] } = {
    t: cc.transition,
    c: cc.changes.map((ch) => [ch.type, ch.nodeId]),
  };
  if (cc.context && cc.context.byteLength > 0) obj.x = [...cc.context];
  return new TextEncoder().encode(JSON.stringify(obj));
}

function corrupt(why: string): never {
  throw new TesseraError("CORRUPTION", `conf change entry: ${why}`);
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  if (data.byteLength === 0) return { transition: "auto", changes: [] };
  let obj: unknown;
  try {
    obj = JSON.parse(new TextDecoder().decode(data));
  } catch {
    corrupt("not JSON");
  }
  if (typeof obj !== "object" || obj === null) corrupt("not an object");
  const { t, c, x } = obj as { t?: unknown; c?: unknown; x?: unknown };
  if (!TRANSITIONS.includes(t as ConfChangeTransition)) corrupt("bad transition");
  if (!Array.isArray(c)) corrupt("bad changes");
  const changes: ConfChangeSingle[] = c.map((pair: unknown) => {
    if (!Array.isArray(pair) || pair.length !== 2) corrupt("bad change");
    const [type, id] = pair as [unknown, unknown];
    if (!TYPES.includes(type as ConfChangeType)) corrupt("bad change type");
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) corrupt("bad node id");
    return { type: type as ConfChangeType, nodeId: nodeId(id) };
  });
  const cc: ConfChange = { transition: t as ConfChangeTransition, changes };
  if (x !== undefined) {
    if (!Array.isArray(x) || !x.every((b) => Number.isInteger(b) && b >= 0 && b < 256))
      corrupt("bad context");
    return { ...cc, context: Uint8Array.from(x as number[]) };
  }
  return cc;
}

/** Whether `cc` asks to leave a joint configuration (it has no changes). */
export function isLeaveJoint(cc: ConfChange): boolean {
  return cc.changes.length === 0;
}

/** Whether `cc` enters a joint configuration, and if so whether it auto-leaves. */
export function entersJoint(cc: ConfChange): { joint: boolean; autoLeave: boolean } {
  if (cc.transition !== "auto" || cc.changes.length > 1) {
    return { joint: true, autoLeave: cc.transition !== "joint-explicit" };
  }
  return { joint: false, autoLeave: false };
}
