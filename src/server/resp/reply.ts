/**
 * A reply as the RESP server holds it before writing: the RESP3 value kinds,
 * each of which the writer lowers to its RESP2 form for a RESP2 client (a map
 * becomes a flat array, a set an array, a boolean an integer, a double and a
 * verbatim string a bulk string, null a nil bulk or nil array).
 *
 * `error` carries the full Redis error line after the `-`, prefix included
 * (`ERR syntax error`, `WRONGTYPE …`); errors.ts builds these from error codes.
 */

export type Reply =
  | { readonly t: "simple"; readonly v: string }
  | { readonly t: "error"; readonly v: string }
  | { readonly t: "int"; readonly v: number | bigint }
  | { readonly t: "bulk"; readonly v: Uint8Array | string }
  /** RESP3 null; RESP2 nil bulk (`$-1`). */
  | { readonly t: "null" }
  /** RESP3 null; RESP2 nil array (`*-1`), as BLPOP-style timeouts reply. */
  | { readonly t: "nullArray" }
  | { readonly t: "array"; readonly v: readonly Reply[] }
  | { readonly t: "map"; readonly v: readonly (readonly [Reply, Reply])[] }
  | { readonly t: "set"; readonly v: readonly Reply[] }
  | { readonly t: "double"; readonly v: number }
  | { readonly t: "bool"; readonly v: boolean }
  /** RESP3 verbatim string (`=len\r\ntxt:…`), e.g. INFO and CLIENT LIST. */
  | { readonly t: "verbatim"; readonly format: "txt" | "mkd"; readonly v: string };

export const R_OK: Reply = { t: "simple", v: "OK" };
export const R_NULL: Reply = { t: "null" };
export const R_NULL_ARRAY: Reply = { t: "nullArray" };
export const R_ZERO: Reply = { t: "int", v: 0 };
export const R_ONE: Reply = { t: "int", v: 1 };
export const R_EMPTY_ARRAY: Reply = { t: "array", v: [] };

export const simple = (v: string): Reply => ({ t: "simple", v });
export const errorReply = (v: string): Reply => ({ t: "error", v });
export const integer = (v: number | bigint): Reply => ({ t: "int", v });
export const bulkReply = (v: Uint8Array | string): Reply => ({ t: "bulk", v });
export const arrayReply = (v: readonly Reply[]): Reply => ({ t: "array", v });
export const mapReply = (v: readonly (readonly [Reply, Reply])[]): Reply => ({ t: "map", v });
export const setReply = (v: readonly Reply[]): Reply => ({ t: "set", v });
export const verbatim = (v: string): Reply => ({ t: "verbatim", format: "txt", v });
export const boolReply = (v: boolean): Reply => ({ t: "bool", v });
export const doubleReply = (v: number): Reply => ({ t: "double", v });

/** A map keyed by strings, the common shape of HELLO, COMMAND DOCS and CLIENT replies. */
export function fieldMap(fields: Record<string, Reply>): Reply {
  return mapReply(Object.entries(fields).map(([k, v]) => [bulkReply(k), v] as const));
}

/** A HELP subcommand's reply: one simple string per line, as Redis sends it. */
export function helpReply(lines: readonly string[]): Reply {
  return arrayReply(lines.map(simple));
}
