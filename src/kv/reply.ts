/**
 * What the state machine answers: a small reply-neutral value that the RESP
 * server writes as RESP2/RESP3 and the RPC server as protobuf. Errors found at
 * apply time (WRONGTYPE, not an integer) are replies too, never exceptions, so
 * an entry that errors is applied the same way on every replica.
 */
import type { ErrorCode } from "../lib/index.js";

export type KvReply =
  | { readonly t: "nil" }
  | { readonly t: "ok" }
  /** A simple status string (RESP `+`), e.g. TYPE's "string". */
  | { readonly t: "status"; readonly v: string }
  | { readonly t: "int"; readonly v: bigint | number }
  | { readonly t: "bulk"; readonly v: Uint8Array }
  | { readonly t: "array"; readonly v: readonly KvReply[] }
  | { readonly t: "error"; readonly code: ErrorCode; readonly message: string };

export const NIL: KvReply = { t: "nil" };
export const OK: KvReply = { t: "ok" };
export const int = (v: bigint | number): KvReply => ({ t: "int", v });
export const bulk = (v: Uint8Array): KvReply => ({ t: "bulk", v });
export const status = (v: string): KvReply => ({ t: "status", v });
export const array = (v: readonly KvReply[]): KvReply => ({ t: "array", v });
export const error = (code: ErrorCode, message: string): KvReply => ({ t: "error", code, message });
