/**
 * The meta table: a copy of every range's descriptor and members, kept in
 * the system keyspace (replicated by range 1, the meta range) for routing.
 *
 *   ranges/next-id   INCR counter; range id = counter + FIRST_ALLOCATED_RANGE_ID - 1,
 *                    so ids are allocated once, densely, never reused
 *   ranges/<id>      u16 n | descriptor (n) | u16 voters | u16 learners | u32 node ids …
 *                    | u32 leader (the node that wrote it: the range's leader then)
 *   merges/<id>      the merge decision of range <id>: "decided:<left id>" or
 *                    "aborted", written once (SET NX), see StoreHost.merge
 *
 * The table is written by each range's leader when its descriptor or members
 * differ from the copy (host reconciliation), so it converges after splits,
 * merges and moves even when the node that made a change failed right after.
 * Being dense, it is read as MGETs of ranges/1 … ranges/<last id>.
 */
import type { KvReply, ReadCommand, WriteCommand } from "../kv/index.js";
import {
  equalBytes,
  type NodeId,
  nodeId,
  type RangeId,
  SYSTEM_KEYSPACE_ID,
  TesseraError,
} from "../lib/index.js";
import { decodeDescriptor, encodeDescriptor, FIRST_ALLOCATED_RANGE_ID } from "./descriptor.js";
import type { DirectoryEntry } from "./directory.js";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const KS = SYSTEM_KEYSPACE_ID;
const NEXT_RANGE_ID_KEY = enc("ranges/next-id");
const MGET_KEYS_MAX = 1000;

export function rangeMetaKey(id: number): Uint8Array {
  return enc(`ranges/${id}`);
}

export function encodeMetaEntry(e: DirectoryEntry): Uint8Array {
  const d = encodeDescriptor(e.desc);
  const out = new Uint8Array(2 + d.length + 4 + 4 * (e.voters.length + e.learners.length) + 4);
  const view = new DataView(out.buffer);
  view.setUint16(0, d.length);
  out.set(d, 2);
  let at = 2 + d.length;
  view.setUint16(at, e.voters.length);
  view.setUint16(at + 2, e.learners.length);
  at += 4;
  for (const id of [...e.voters, ...e.learners]) {
    view.setUint32(at, id);
    at += 4;
  }
  view.setUint32(at, e.leaderId ?? 0);
  return out;
}

export function decodeMetaEntry(bytes: Uint8Array): DirectoryEntry {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = () => new TesseraError("CORRUPTION", "corrupt meta table entry");
  if (bytes.length < 2) throw bad();
  const descLen = view.getUint16(0);
  const at = 2 + descLen;
  if (at + 4 > bytes.length) throw bad();
  const desc = decodeDescriptor(bytes.subarray(2, at));
  const nv = view.getUint16(at);
  const nl = view.getUint16(at + 2);
  const idsEnd = at + 4 + 4 * (nv + nl);
  if (idsEnd + 4 !== bytes.length) throw bad();
  const ids: NodeId[] = [];
  for (let i = 0; i < nv + nl; i++) ids.push(nodeId(view.getUint32(at + 4 + 4 * i)));
  const leader = view.getUint32(idsEnd);
  return {
    desc,
    voters: ids.slice(0, nv),
    learners: ids.slice(nv),
    ...(leader !== 0 ? { leaderId: nodeId(leader) } : {}),
  };
}

/** Whether two entries say the same (descriptor, members). */
export function sameEntry(a: DirectoryEntry, b: DirectoryEntry): boolean {
  const x = encodeMetaEntry(a);
  const y = encodeMetaEntry(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

export function allocateRangeIdCommand(): WriteCommand {
  return { op: "incrby", ks: KS, key: NEXT_RANGE_ID_KEY, delta: 1n };
}

/** The range id an `allocateRangeIdCommand` reply stands for. */
export function rangeIdFromReply(reply: KvReply): RangeId {
  if (reply.t !== "int") throw new TesseraError("INTERNAL", "allocating a range id failed");
  return (Number(reply.v) + FIRST_ALLOCATED_RANGE_ID - 1) as RangeId;
}

export function readNextIdCommand(): ReadCommand {
  return { op: "get", ks: KS, key: NEXT_RANGE_ID_KEY };
}

/** The highest range id ever allocated, from a `readNextIdCommand` reply. */
export function lastRangeId(reply: KvReply): number {
  const n = reply.t === "bulk" ? Number(new TextDecoder().decode(reply.v)) : 0;
  return n + FIRST_ALLOCATED_RANGE_ID - 1;
}

/** MGET commands covering ranges/1 … ranges/<last>. */
export function readTableCommands(last: number): ReadCommand[] {
  const out: ReadCommand[] = [];
  for (let from = 1; from <= last; from += MGET_KEYS_MAX) {
    const keys: Uint8Array[] = [];
    for (let id = from; id <= Math.min(last, from + MGET_KEYS_MAX - 1); id++)
      keys.push(rangeMetaKey(id));
    out.push({ op: "mget", ks: KS, keys });
  }
  return out;
}

/** The entries of MGET replies of `readTableCommands`. */
export function entriesOf(replies: readonly KvReply[]): DirectoryEntry[] {
  return new MetaTableDecoder().entriesOf(replies);
}

/**
 * Decodes loads of the table, reusing the entry of the last load for a
 * value that did not change: a reload of a table of thousands of ranges
 * that changed in a few decodes those few, and an unchanged entry keeps its
 * identity, so a consumer sees what changed by comparing references.
 */
export class MetaTableDecoder {
  private last = new Map<number, { readonly bytes: Uint8Array; readonly entry: DirectoryEntry }>();

  entriesOf(replies: readonly KvReply[]): DirectoryEntry[] {
    const out: DirectoryEntry[] = [];
    const next = new Map<number, { readonly bytes: Uint8Array; readonly entry: DirectoryEntry }>();
    // Replies hold ranges/1 … ranges/<last> in order: a value's position is its range id.
    let id = 0;
    for (const r of replies) {
      if (r.t !== "array") throw new TesseraError("INTERNAL", "reading the meta table failed");
      for (const v of r.v) {
        id++;
        if (v.t !== "bulk") continue;
        const known = this.last.get(id);
        const entry =
          known !== undefined && equalBytes(known.bytes, v.v) ? known.entry : decodeMetaEntry(v.v);
        next.set(id, { bytes: v.v, entry });
        out.push(entry);
      }
    }
    this.last = next;
    return out;
  }
}

export function writeEntryCommand(e: DirectoryEntry): WriteCommand {
  return {
    op: "set",
    ks: KS,
    key: rangeMetaKey(e.desc.rangeId),
    value: encodeMetaEntry(e),
    expiry: { kind: "none" },
    cond: "always",
    get: false,
  };
}

export function deleteEntryCommand(id: RangeId): WriteCommand {
  return { op: "del", ks: KS, keys: [rangeMetaKey(id)] };
}

/** The merge decision of range `right` ("decided:<left>" or "aborted"), written once. */
export function mergeDecisionCommand(right: RangeId, decision: string): WriteCommand {
  return {
    op: "set",
    ks: KS,
    key: enc(`merges/${right}`),
    value: enc(decision),
    expiry: { kind: "none" },
    cond: "nx",
    get: false,
  };
}

export function readMergeDecisionCommand(right: RangeId): ReadCommand {
  return { op: "get", ks: KS, key: enc(`merges/${right}`) };
}
