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
import { TesseraError } from "../lib/index.js";

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
  const body = encodeCommand(cmd, stamp);
  const out = new Uint8Array(HEADER_BYTES + body.byteLength);
  const view = new DataView(out.buffer);
  out[0] = KIND_KV_COMMAND;
  view.setUint32(1, id.incarnation);
  view.setUint32(5, id.sequence);
  out.set(body, HEADER_BYTES);
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
