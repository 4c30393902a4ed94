/**
 * A key-value state machine on an in-memory store with a hand-driven stamp,
 * for unit tests and the simulator: each write gets the next HLC version and
 * the current `nowMs`, exactly as a committed entry would. `plain` turns a
 * reply into plain values that `assert.deepEqual` compares readably.
 */
import { fromUtf8, type KeyspaceId, keyspaceId, utf8 } from "../lib/index.js";
import { applyWrite } from "./apply.js";
import type { ExpirySpec, ReadCommand, WriteCommand } from "./command.js";
import type { KeyspaceModeOf } from "./context.js";
import { MemoryKvStore } from "./memory-store.js";
import { executeRead } from "./read.js";
import type { KvReply } from "./reply.js";

export class KvHarness {
  readonly store = new MemoryKvStore();
  version = 0n;

  constructor(
    public nowMs = 1_700_000_000_000,
    readonly modeOf?: KeyspaceModeOf,
  ) {}

  write(cmd: WriteCommand): KvReply {
    this.version++;
    return applyWrite(
      cmd,
      { nowMs: this.nowMs, version: this.version, modeOf: this.modeOf },
      this.store,
    );
  }

  read(cmd: ReadCommand): KvReply {
    return executeRead(cmd, { nowMs: this.nowMs, modeOf: this.modeOf }, this.store);
  }

  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** A reply as plain values: null, "OK", "+status", numbers, UTF-8 strings, arrays, { error }. */
export type PlainReply =
  | null
  | string
  | number
  | bigint
  | PlainReply[]
  | { error: string; message: string };

export function plain(r: KvReply): PlainReply {
  switch (r.t) {
    case "nil":
      return null;
    case "ok":
      return "OK";
    case "status":
      return `+${r.v}`;
    case "int":
      return typeof r.v === "bigint" &&
        r.v >= BigInt(Number.MIN_SAFE_INTEGER) &&
        r.v <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(r.v)
        : r.v;
    case "bulk":
      return fromUtf8(r.v);
    case "array":
      return r.v.map(plain);
    case "error":
      return { error: r.code, message: r.message };
  }
}

// ---- command builders (keyspace 0 unless told) ----------------------------------

export const KS0: KeyspaceId = keyspaceId(0);
const NONE: ExpirySpec = { kind: "none" };
const k = (key: string | Uint8Array): Uint8Array => (typeof key === "string" ? utf8(key) : key);

export const cmd = {
  set: (
    key: string | Uint8Array,
    value: string | Uint8Array,
    o: { expiry?: ExpirySpec; cond?: "always" | "nx" | "xx"; get?: boolean; ks?: KeyspaceId } = {},
  ): WriteCommand => ({
    op: "set",
    ks: o.ks ?? KS0,
    key: k(key),
    value: k(value),
    expiry: o.expiry ?? NONE,
    cond: o.cond ?? "always",
    get: o.get ?? false,
  }),
  mset: (pairs: [string, string][], nx = false): WriteCommand => ({
    op: "mset",
    ks: KS0,
    pairs: pairs.map(([a, b]) => [k(a), k(b)] as const),
    nx,
  }),
  del: (...keys: string[]): WriteCommand => ({ op: "del", ks: KS0, keys: keys.map(k) }),
  getdel: (key: string): WriteCommand => ({ op: "getdel", ks: KS0, key: k(key) }),
  getex: (key: string, expiry: ExpirySpec = NONE): WriteCommand => ({
    op: "getex",
    ks: KS0,
    key: k(key),
    expiry,
  }),
  incrby: (key: string, delta: bigint): WriteCommand => ({
    op: "incrby",
    ks: KS0,
    key: k(key),
    delta,
  }),
  incrbyfloat: (key: string, delta: number): WriteCommand => ({
    op: "incrbyfloat",
    ks: KS0,
    key: k(key),
    delta,
  }),
  append: (key: string, value: string): WriteCommand => ({
    op: "append",
    ks: KS0,
    key: k(key),
    value: k(value),
  }),
  setrange: (key: string, offset: number, value: string): WriteCommand => ({
    op: "setrange",
    ks: KS0,
    key: k(key),
    offset,
    value: k(value),
  }),
  rename: (src: string, dst: string, nx = false): WriteCommand => ({
    op: "rename",
    ks: KS0,
    src: k(src),
    dst: k(dst),
    nx,
  }),
  copy: (
    src: string,
    dst: string,
    o: { replace?: boolean; dstKs?: KeyspaceId } = {},
  ): WriteCommand => ({
    op: "copy",
    ks: KS0,
    src: k(src),
    dst: k(dst),
    dstKs: o.dstKs ?? KS0,
    replace: o.replace ?? false,
  }),
  expireIn: (
    key: string,
    ms: number,
    cond: "always" | "nx" | "xx" | "gt" | "lt" = "always",
  ): WriteCommand => ({ op: "expire", ks: KS0, key: k(key), when: { kind: "in", ms }, cond }),
  expireAt: (
    key: string,
    atMs: number,
    cond: "always" | "nx" | "xx" | "gt" | "lt" = "always",
  ): WriteCommand => ({ op: "expire", ks: KS0, key: k(key), when: { kind: "at", atMs }, cond }),
  persist: (key: string): WriteCommand => ({ op: "persist", ks: KS0, key: k(key) }),
  flush: (ks: KeyspaceId | undefined): WriteCommand => ({ op: "flush", ks }),
  expireDue: (...keys: string[]): WriteCommand => ({
    op: "expire-due",
    ks: KS0,
    keys: keys.map(k),
  }),
  get: (key: string | Uint8Array, ks: KeyspaceId = KS0): ReadCommand => ({
    op: "get",
    ks,
    key: k(key),
  }),
  mget: (...keys: string[]): ReadCommand => ({ op: "mget", ks: KS0, keys: keys.map(k) }),
  exists: (...keys: string[]): ReadCommand => ({ op: "exists", ks: KS0, keys: keys.map(k) }),
  touch: (...keys: string[]): ReadCommand => ({ op: "touch", ks: KS0, keys: keys.map(k) }),
  type: (key: string): ReadCommand => ({ op: "type", ks: KS0, key: k(key) }),
  strlen: (key: string): ReadCommand => ({ op: "strlen", ks: KS0, key: k(key) }),
  getrange: (key: string, start: number, end: number): ReadCommand => ({
    op: "getrange",
    ks: KS0,
    key: k(key),
    start,
    end,
  }),
  ttl: (key: string, form: "ttl" | "pttl" | "expiretime" | "pexpiretime" = "ttl"): ReadCommand => ({
    op: "ttl",
    ks: KS0,
    key: k(key),
    form,
  }),
  keys: (pattern: string, ks: KeyspaceId = KS0): ReadCommand => ({
    op: "keys",
    ks,
    pattern: k(pattern),
  }),
  scan: (
    cursor: string,
    o: { match?: string; count?: number; type?: string; ks?: KeyspaceId } = {},
  ): ReadCommand => ({
    op: "scan",
    ks: o.ks ?? KS0,
    cursor,
    match: o.match === undefined ? undefined : k(o.match),
    count: o.count ?? 10,
    type: o.type,
  }),
  randomkey: (seed: number, ks: KeyspaceId = KS0): ReadCommand => ({ op: "randomkey", ks, seed }),
  dbsize: (ks: KeyspaceId = KS0): ReadCommand => ({ op: "dbsize", ks }),
};
