/**
 * Kv replies on the bus. A forwarded request's reply crosses the bus as a
 * plain value the bus codec carries (maps, strings, numbers, bytes): integers
 * that are bigints travel as decimal strings, and bytes come back as copies
 * (the bus hands out views of its frames).
 */
import type { KvReply } from "../kv/index.js";
import { TesseraError } from "../lib/index.js";

export type WireReply =
  | { readonly t: "nil" | "ok" }
  | { readonly t: "status"; readonly v: string }
  | { readonly t: "int"; readonly v: number }
  | { readonly t: "bigint"; readonly v: string }
  | { readonly t: "bulk"; readonly v: Uint8Array }
  | { readonly t: "array"; readonly v: readonly WireReply[] }
  | { readonly t: "error"; readonly code: string; readonly message: string };

export function replyToWire(r: KvReply): WireReply {
  switch (r.t) {
    case "int":
      return typeof r.v === "bigint" ? { t: "bigint", v: r.v.toString() } : { t: "int", v: r.v };
    case "array":
      return { t: "array", v: r.v.map(replyToWire) };
    default:
      return r;
  }
}

export function replyFromWire(w: unknown): KvReply {
  const r = w as WireReply;
  switch (r?.t) {
    case "nil":
    case "ok":
      return { t: r.t };
    case "status":
      return { t: "status", v: String(r.v) };
    case "int":
      return { t: "int", v: Number(r.v) };
    case "bigint":
      return { t: "int", v: BigInt(r.v) };
    case "bulk":
      return { t: "bulk", v: new Uint8Array(r.v) };
    case "array":
      return { t: "array", v: r.v.map(replyFromWire) };
    case "error":
      return { t: "error", code: r.code as never, message: String(r.message) };
    default:
      throw new TesseraError("PROTOCOL", "malformed kv reply on the bus");
  }
}
