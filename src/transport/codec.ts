/**
 * The encoding of the bus's control payloads (hello, refusal, call, call
 * result) with msgpackr: these carry application values of any shape (a call's
 * request and response), which a generic self-describing encoding handles
 * well. Raft messages, most of the traffic, have their own hand-written
 * layout (raft-codec.ts).
 *
 * Byte strings inside a request or response arrive as Buffer views of the
 * frame (msgpackr does not copy them by default). Every decoder checks the
 * shape it was given and throws PROTOCOL otherwise: the bytes came from the
 * network.
 */
import { Packr } from "msgpackr";
import { ERROR_CODES, type ErrorCode, type NodeId, TesseraError } from "../lib/index.js";

// Plain maps, not records: a peer must decode every payload without shared state.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

export interface Hello {
  readonly protocolVersion: number;
  readonly clusterId: string;
  readonly nodeId: NodeId;
  readonly advertiseAddress: string;
}

export interface HelloRefusal {
  readonly reason: string;
}

export interface CallRequest {
  readonly id: number;
  readonly method: string;
  /** Time the caller still waits, so the handler side may skip work nobody awaits. */
  readonly timeoutMs: number;
  readonly request: unknown;
}

export type CallResult =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | {
      readonly id: number;
      readonly ok: false;
      readonly code: ErrorCode;
      readonly message: string;
      readonly details?: Readonly<Record<string, unknown>>;
    };

function pack(value: unknown): Buffer {
  return packr.pack(value);
}

function unpack(payload: Uint8Array, what: string): unknown {
  try {
    return packr.unpack(payload);
  } catch (e) {
    throw new TesseraError("PROTOCOL", `bus ${what} payload is not valid msgpack: ${String(e)}`);
  }
}

function malformed(what: string): never {
  throw new TesseraError("PROTOCOL", `bus ${what} payload malformed`);
}

function isCount(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
}

export function encodeHello(hello: Hello): Buffer {
  return pack([hello.protocolVersion, hello.clusterId, hello.nodeId, hello.advertiseAddress]);
}

export function decodeHello(payload: Uint8Array): Hello {
  const v = unpack(payload, "hello");
  if (!Array.isArray(v) || v.length !== 4) malformed("hello");
  const [protocolVersion, clusterId, nodeId, advertiseAddress] = v as unknown[];
  if (
    !isCount(protocolVersion) ||
    typeof clusterId !== "string" ||
    !isCount(nodeId) ||
    typeof advertiseAddress !== "string"
  ) {
    malformed("hello");
  }
  return { protocolVersion, clusterId, nodeId: nodeId as NodeId, advertiseAddress };
}

export function encodeRefusal(refusal: HelloRefusal): Buffer {
  return pack([refusal.reason]);
}

export function decodeRefusal(payload: Uint8Array): HelloRefusal {
  const v = unpack(payload, "hello-refused");
  if (!Array.isArray(v) || typeof v[0] !== "string") malformed("hello-refused");
  return { reason: v[0] };
}

export function encodeCall(call: CallRequest): Buffer {
  return pack([call.id, call.method, call.timeoutMs, call.request]);
}

export function decodeCall(payload: Uint8Array): CallRequest {
  const v = unpack(payload, "call");
  if (!Array.isArray(v) || v.length !== 4) malformed("call");
  const [id, method, timeoutMs, request] = v as unknown[];
  if (!isCount(id) || typeof method !== "string" || !isCount(timeoutMs)) malformed("call");
  return { id, method, timeoutMs, request };
}

export function encodeCallResult(result: CallResult): Buffer {
  if (result.ok) return pack([result.id, 1, result.value]);
  return pack([result.id, 0, result.code, result.message, result.details ?? null]);
}

const CODES = new Set<string>(ERROR_CODES);

export function decodeCallResult(payload: Uint8Array): CallResult {
  const v = unpack(payload, "call-result");
  if (!Array.isArray(v) || !isCount(v[0])) malformed("call-result");
  const id = v[0];
  if (v[1] === 1 && v.length === 3) return { id, ok: true, value: v[2] };
  if (v[1] !== 0 || v.length !== 5 || typeof v[2] !== "string" || typeof v[3] !== "string") {
    malformed("call-result");
  }
  // A code this build does not know (a newer peer) is reported as INTERNAL, with the original kept.
  const known = CODES.has(v[2]);
  const code = (known ? v[2] : "INTERNAL") as ErrorCode;
  const details =
    v[4] !== null && typeof v[4] === "object" ? (v[4] as Record<string, unknown>) : {};
  return {
    id,
    ok: false,
    code,
    message: v[3],
    ...(known ? (v[4] === null ? {} : { details }) : { details: { ...details, remoteCode: v[2] } }),
  };
}
