/**
 * The data of a normal Raft entry that carries a client write:
 *
 *   u8 kind (1 = kv command) | u32 incarnation | u32 sequence | kv command bytes
 *
 * where the kv command bytes (kv's `encodeCommand`) hold the command and the
 * leader's stamp (its HLC time: Unix ms and version), so every replica applies
 * the entry identically. (incarnation, sequence) is the proposal id: the
 * proposer keeps a pending promise under it and resolves it with the reply
 * `applyWrite` produces when the entry is applied. The incarnation is random
 * per process, so an entry proposed before a restart and applied after it can
 * never resolve a new proposal. An entry with empty data is the no-op a new
 * leader appends; it carries no proposal.
 */
import {
  type CommandStamp,
  decodeCommand,
  encodeCommand,
  isWriteCommand,
  type WriteCommand,
} from "../kv/index.js";
import { type RangeId, rangeId, TesseraError } from "../lib/index.js";

const KIND_KV_COMMAND = 1;
const HEADER_BYTES = 9;

export interface ProposalId {
  readonly incarnation: number;
  readonly sequence: number;
}

export interface DecodedProposal {
  readonly id: ProposalId;
  readonly cmd: WriteCommand;
  readonly stamp: CommandStamp;
}

export function encodeProposal(id: ProposalId, cmd: WriteCommand, stamp: CommandStamp): Uint8Array {
  const out = encodeCommand(cmd, stamp, HEADER_BYTES);
  const view = new DataView(out.buffer, out.byteOffset, HEADER_BYTES);
  out[0] = KIND_KV_COMMAND;
  view.setUint32(1, id.incarnation);
  view.setUint32(5, id.sequence);
  return out;
}

export function decodeProposal(data: Uint8Array): DecodedProposal {
  if (data.byteLength < HEADER_BYTES || data[0] !== KIND_KV_COMMAND) {
    throw new TesseraError("CORRUPTION", "log entry is not a kv command proposal");
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const id = { incarnation: view.getUint32(1), sequence: view.getUint32(5) };
  const { cmd, stamp } = decodeCommand(data.subarray(HEADER_BYTES));
  if (!isWriteCommand(cmd))
    throw new TesseraError("CORRUPTION", `log entry holds read command ${cmd.op}`);
  return { id, cmd, stamp };
}

const KIND_SPLIT = 2;

/** What a split entry asks (see Replica.split). */
export interface SplitRequest {
  readonly rightId: RangeId;
  readonly splitKey: Uint8Array;
  /** The generation the split was planned at; a different one refuses it. */
  readonly generation: number;
  /** A split made by hand: the right range is never merged back (descriptor `sticky`). */
  readonly sticky?: boolean;
}

/** The kind of a normal entry's data: a kv command, a split, or the empty no-op. */
export function proposalKind(data: Uint8Array): "kv" | "split" | "range-op" | "noop" {
  if (data.byteLength === 0) return "noop";
  if (data[0] === KIND_KV_COMMAND) return "kv";
  if (data[0] === KIND_SPLIT) return "split";
  if (data[0] === KIND_RANGE_OP) return "range-op";
  throw new TesseraError("CORRUPTION", `log entry of unknown kind ${data[0]}`);
}

/** u8 kind (2) | u32 incarnation | u32 sequence | u32 right range id | u32 generation | u8 flags | split key */
export function encodeSplitProposal(id: ProposalId, req: SplitRequest): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + 9 + req.splitKey.byteLength);
  const view = new DataView(out.buffer);
  out[0] = KIND_SPLIT;
  view.setUint32(1, id.incarnation);
  view.setUint32(5, id.sequence);
  view.setUint32(9, req.rightId);
  view.setUint32(13, req.generation);
  out[17] = req.sticky ? 1 : 0;
  out.set(req.splitKey, HEADER_BYTES + 9);
  return out;
}

export function decodeSplitProposal(data: Uint8Array): { id: ProposalId; split: SplitRequest } {
  if (data.byteLength < HEADER_BYTES + 9 || data[0] !== KIND_SPLIT)
    throw new TesseraError("CORRUPTION", "log entry is not a split");
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    id: { incarnation: view.getUint32(1), sequence: view.getUint32(5) },
    split: {
      rightId: rangeId(view.getUint32(9)),
      generation: view.getUint32(13),
      ...(data[17] === 1 ? { sticky: true } : {}),
      splitKey: data.slice(HEADER_BYTES + 9),
    },
  };
}

const KIND_RANGE_OP = 3;

/**
 * Range operations of a merge (see Replica.merge): freezing the right-hand
 * range (it then refuses every write until it is absorbed or thawed),
 * thawing it, and the merge itself, proposed on the left-hand range.
 */
export type RangeOp =
  /** On the left range: no membership change or split until the merge ends (or is abandoned). */
  | { readonly op: "lock"; readonly right: RangeId; readonly generation: number }
  | { readonly op: "unlock" }
  | { readonly op: "freeze"; readonly into: RangeId; readonly generation: number }
  | { readonly op: "unfreeze"; readonly generation: number }
  | {
      readonly op: "merge";
      readonly right: RangeId;
      readonly rightGeneration: number;
      readonly rightStart: Uint8Array;
      readonly rightEnd: Uint8Array;
      /** The right range's voters when it was checked; the left's must be the same. */
      readonly voters: readonly number[];
    };

const OP_CODES = { freeze: 1, unfreeze: 2, merge: 3, lock: 4, unlock: 5 } as const;

/** u8 kind (3) | u32 incarnation | u32 sequence | u8 op | op fields (u32s, u16-length byte strings) */
export function encodeRangeOp(id: ProposalId, op: RangeOp): Uint8Array {
  const parts: number[] = [];
  const u32 = (v: number) => parts.push(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  const bytes = (b: Uint8Array) => {
    parts.push(b.length >>> 8, b.length & 0xff);
    for (const x of b) parts.push(x);
  };
  parts.push(KIND_RANGE_OP);
  u32(id.incarnation);
  u32(id.sequence);
  parts.push(OP_CODES[op.op]);
  switch (op.op) {
    case "freeze":
      u32(op.into);
      u32(op.generation);
      break;
    case "unfreeze":
      u32(op.generation);
      break;
    case "lock":
      u32(op.right);
      u32(op.generation);
      break;
    case "unlock":
      break;
    case "merge":
      u32(op.right);
      u32(op.rightGeneration);
      bytes(op.rightStart);
      bytes(op.rightEnd);
      parts.push(op.voters.length);
      for (const v of op.voters) u32(v);
      break;
  }
  return Uint8Array.from(parts);
}

export function decodeRangeOp(data: Uint8Array): { id: ProposalId; op: RangeOp } {
  const bad = () => new TesseraError("CORRUPTION", "corrupt range operation entry");
  if (data.byteLength < HEADER_BYTES + 1 || data[0] !== KIND_RANGE_OP) throw bad();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = HEADER_BYTES + 1;
  const u32 = () => {
    if (at + 4 > data.length) throw bad();
    const v = view.getUint32(at);
    at += 4;
    return v;
  };
  const bytes = () => {
    if (at + 2 > data.length) throw bad();
    const n = view.getUint16(at);
    at += 2;
    if (at + n > data.length) throw bad();
    const out = data.slice(at, at + n);
    at += n;
    return out;
  };
  const id = { incarnation: view.getUint32(1), sequence: view.getUint32(5) };
  switch (data[HEADER_BYTES]) {
    case OP_CODES.freeze:
      return { id, op: { op: "freeze", into: rangeId(u32()), generation: u32() } };
    case OP_CODES.unfreeze:
      return { id, op: { op: "unfreeze", generation: u32() } };
    case OP_CODES.lock:
      return { id, op: { op: "lock", right: rangeId(u32()), generation: u32() } };
    case OP_CODES.unlock:
      return { id, op: { op: "unlock" } };
    case OP_CODES.merge: {
      const right = rangeId(u32());
      const rightGeneration = u32();
      const rightStart = bytes();
      const rightEnd = bytes();
      const n = data[at++];
      if (n === undefined) throw bad();
      const voters: number[] = [];
      for (let i = 0; i < n; i++) voters.push(u32());
      return { id, op: { op: "merge", right, rightGeneration, rightStart, rightEnd, voters } };
    }
    default:
      throw bad();
  }
}
