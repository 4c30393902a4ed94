/**
 * The byte form of a command as the replication log and the bus carry it:
 *
 *   u8 format version (1) | MessagePack array [nowMs, version, op, ...fields]
 *
 * where `version` (the HLC stamp) and every bigint field are 8-byte big-endian
 * binaries (MessagePack integers cannot carry a bigint's type), keys and values
 * are binaries, and `op` is a small integer from `OPS`, whose order is part of
 * the format: append new ops, never reorder. Decoding checks the shape of
 * every field, since the bytes come from disk or the network; anything that
 * does not fit is TesseraError CORRUPTION.
 */
import { Packr } from "msgpackr";
import type { KeyspaceId } from "../lib/index.js";
import { assertNever, keyspaceId, TesseraError } from "../lib/index.js";
import type { Bytes, ExpireCondition, ExpirySpec, KvCommand } from "./command.js";
import type { CommandStamp } from "./context.js";

export const COMMAND_FORMAT_VERSION = 1;

/** Wire codes of ops: the index in this list. Append only. */
const OPS = [
  "set",
  "mset",
  "del",
  "getdel",
  "getex",
  "incrby",
  "incrbyfloat",
  "append",
  "setrange",
  "rename",
  "copy",
  "expire",
  "persist",
  "flush",
  "expire-due",
  "get",
  "mget",
  "exists",
  "touch",
  "type",
  "strlen",
  "getrange",
  "ttl",
  "keys",
  "scan",
  "randomkey",
  "dbsize",
] as const satisfies readonly KvCommand["op"][];

const SET_CONDS = ["always", "nx", "xx"] as const;
const EXPIRE_CONDS = [
  "always",
  "nx",
  "xx",
  "gt",
  "lt",
] as const satisfies readonly ExpireCondition[];
const TTL_FORMS = ["ttl", "pttl", "expiretime", "pexpiretime"] as const;
const EXPIRY_KINDS = [
  "none",
  "keep",
  "persist",
  "in",
  "at",
] as const satisfies readonly ExpirySpec["kind"][];

const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false });

function u64(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v);
  return out;
}

function i64(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, v);
  return out;
}

function expiryToWire(e: ExpirySpec): unknown[] {
  const code = EXPIRY_KINDS.indexOf(e.kind);
  if (e.kind === "in") return [code, e.ms];
  if (e.kind === "at") return [code, e.atMs];
  return [code];
}

/** The fields after the op code, in wire order. */
function fieldsOf(cmd: KvCommand): unknown[] {
  switch (cmd.op) {
    case "set":
      return [
        cmd.ks,
        cmd.key,
        cmd.value,
        expiryToWire(cmd.expiry),
        SET_CONDS.indexOf(cmd.cond),
        cmd.get,
      ];
    case "mset":
      return [cmd.ks, cmd.pairs.map(([k, v]) => [k, v]), cmd.nx];
    case "del":
    case "mget":
    case "exists":
    case "touch":
    case "expire-due":
      return [cmd.ks, [...cmd.keys]];
    case "getdel":
    case "get":
    case "type":
    case "strlen":
    case "persist":
      return [cmd.ks, cmd.key];
    case "getex":
      return [cmd.ks, cmd.key, expiryToWire(cmd.expiry)];
    case "incrby":
      return [cmd.ks, cmd.key, i64(cmd.delta)];
    case "incrbyfloat":
      return [cmd.ks, cmd.key, cmd.delta];
    case "append":
      return [cmd.ks, cmd.key, cmd.value];
    case "setrange":
      return [cmd.ks, cmd.key, cmd.offset, cmd.value];
    case "rename":
      return [cmd.ks, cmd.src, cmd.dst, cmd.nx];
    case "copy":
      return [cmd.ks, cmd.src, cmd.dst, cmd.dstKs, cmd.replace];
    case "expire":
      return [cmd.ks, cmd.key, expiryToWire(cmd.when), EXPIRE_CONDS.indexOf(cmd.cond)];
    case "flush":
      return [cmd.ks ?? null];
    case "getrange":
      return [cmd.ks, cmd.key, cmd.start, cmd.end];
    case "ttl":
      return [cmd.ks, cmd.key, TTL_FORMS.indexOf(cmd.form)];
    case "keys":
      return [cmd.ks, cmd.pattern];
    case "scan":
      return [cmd.ks, cmd.cursor, cmd.match ?? null, cmd.count, cmd.type ?? null];
    case "randomkey":
      return [cmd.ks, cmd.seed];
    case "dbsize":
      return [cmd.ks];
    default:
      return assertNever(cmd, "command");
  }
}

/**
 * The command's bytes, after `headerBytes` bytes left for the caller to fill
 * (a proposal's header: one buffer for both instead of a copy).
 */
export function encodeCommand(cmd: KvCommand, stamp: CommandStamp, headerBytes = 0): Uint8Array {
  const body = packr.pack([stamp.nowMs, u64(stamp.version), OPS.indexOf(cmd.op), ...fieldsOf(cmd)]);
  const out = new Uint8Array(headerBytes + 1 + body.length);
  out[headerBytes] = COMMAND_FORMAT_VERSION;
  out.set(body, headerBytes + 1);
  return out;
}

// ---- decoding ----------------------------------------------------------------

function corrupt(what: string): never {
  throw new TesseraError("CORRUPTION", `corrupt command: ${what}`);
}

/** Reads the fields of one wire array, checking each one's shape. */
class Fields {
  private at = 0;
  constructor(private readonly a: readonly unknown[]) {}

  private next(): unknown {
    if (this.at >= this.a.length) corrupt("too few fields");
    return this.a[this.at++];
  }
  end(): void {
    if (this.at !== this.a.length) corrupt("too many fields");
  }
  num(): number {
    const v = this.next();
    if (typeof v !== "number") corrupt("expected a number");
    return v;
  }
  int(): number {
    const v = this.num();
    if (!Number.isSafeInteger(v)) corrupt("expected an integer");
    return v;
  }
  bool(): boolean {
    const v = this.next();
    if (typeof v !== "boolean") corrupt("expected a boolean");
    return v;
  }
  str(): string {
    const v = this.next();
    if (typeof v !== "string") corrupt("expected a string");
    return v;
  }
  bytes(): Bytes {
    return asBytes(this.next());
  }
  /** Consumes the next field if it is null (an absent optional). */
  private skipNull(): boolean {
    if (this.a[this.at] !== null) return false;
    this.at++;
    return true;
  }
  optBytes(): Bytes | undefined {
    return this.skipNull() ? undefined : this.bytes();
  }
  optStr(): string | undefined {
    return this.skipNull() ? undefined : this.str();
  }
  ks(): KeyspaceId {
    const v = this.int();
    if (v < 0 || v > 0xffff_ffff) corrupt("keyspace out of range");
    return keyspaceId(v);
  }
  optKs(): KeyspaceId | undefined {
    return this.skipNull() ? undefined : this.ks();
  }
  array(): readonly unknown[] {
    const v = this.next();
    if (!Array.isArray(v)) corrupt("expected an array");
    return v;
  }
  keys(): Bytes[] {
    return this.array().map(asBytes);
  }
  pick<T>(choices: readonly T[]): T {
    const v = choices[this.int()];
    if (v === undefined) corrupt("enum value out of range");
    return v;
  }
  big(signed: boolean): bigint {
    const b = this.bytes();
    if (b.length !== 8) corrupt("expected 8 bytes");
    const view = new DataView(b.buffer, b.byteOffset, 8);
    return signed ? view.getBigInt64(0) : view.getBigUint64(0);
  }
  expiry(): ExpirySpec {
    const f = new Fields(this.array());
    const kind = f.pick(EXPIRY_KINDS);
    const spec: ExpirySpec =
      kind === "in" ? { kind, ms: f.int() } : kind === "at" ? { kind, atMs: f.int() } : { kind };
    f.end();
    return spec;
  }
}

function asBytes(v: unknown): Bytes {
  // msgpackr hands binaries back as Buffers; keep commands plain Uint8Arrays.
  if (!(v instanceof Uint8Array)) corrupt("expected bytes");
  return new Uint8Array(v);
}

function commandFrom(op: KvCommand["op"], f: Fields): KvCommand {
  switch (op) {
    case "set":
      return {
        op,
        ks: f.ks(),
        key: f.bytes(),
        value: f.bytes(),
        expiry: f.expiry(),
        cond: f.pick(SET_CONDS),
        get: f.bool(),
      };
    case "mset": {
      const ks = f.ks();
      const pairs = f.array().map((p) => {
        const pf = new Fields(Array.isArray(p) ? p : corrupt("expected a pair"));
        const pair = [pf.bytes(), pf.bytes()] as const;
        pf.end();
        return pair;
      });
      return { op, ks, pairs, nx: f.bool() };
    }
    case "del":
    case "mget":
    case "exists":
    case "touch":
    case "expire-due":
      return { op, ks: f.ks(), keys: f.keys() };
    case "getdel":
    case "get":
    case "type":
    case "strlen":
    case "persist":
      return { op, ks: f.ks(), key: f.bytes() };
    case "getex":
      return { op, ks: f.ks(), key: f.bytes(), expiry: f.expiry() };
    case "incrby":
      return { op, ks: f.ks(), key: f.bytes(), delta: f.big(true) };
    case "incrbyfloat":
      return { op, ks: f.ks(), key: f.bytes(), delta: f.num() };
    case "append":
      return { op, ks: f.ks(), key: f.bytes(), value: f.bytes() };
    case "setrange":
      return { op, ks: f.ks(), key: f.bytes(), offset: f.int(), value: f.bytes() };
    case "rename":
      return { op, ks: f.ks(), src: f.bytes(), dst: f.bytes(), nx: f.bool() };
    case "copy":
      return { op, ks: f.ks(), src: f.bytes(), dst: f.bytes(), dstKs: f.ks(), replace: f.bool() };
    case "expire": {
      const ks = f.ks();
      const key = f.bytes();
      const when = f.expiry();
      if (when.kind !== "in" && when.kind !== "at") corrupt("bad expire time");
      return { op, ks, key, when, cond: f.pick(EXPIRE_CONDS) };
    }
    case "flush":
      return { op, ks: f.optKs() };
    case "getrange":
      return { op, ks: f.ks(), key: f.bytes(), start: f.int(), end: f.int() };
    case "ttl":
      return { op, ks: f.ks(), key: f.bytes(), form: f.pick(TTL_FORMS) };
    case "keys":
      return { op, ks: f.ks(), pattern: f.bytes() };
    case "scan":
      return {
        op,
        ks: f.ks(),
        cursor: f.str(),
        match: f.optBytes(),
        count: f.int(),
        type: f.optStr(),
      };
    case "randomkey":
      return { op, ks: f.ks(), seed: f.int() };
    case "dbsize":
      return { op, ks: f.ks() };
    default:
      return assertNever(op, "op");
  }
}

export interface DecodedCommand {
  readonly cmd: KvCommand;
  readonly stamp: CommandStamp;
}

export function decodeCommand(bytes: Uint8Array): DecodedCommand {
  if (bytes.length < 2) corrupt("too short");
  if (bytes[0] !== COMMAND_FORMAT_VERSION) corrupt(`unknown format version ${bytes[0]}`);
  let wire: unknown;
  try {
    wire = packr.unpack(bytes.subarray(1));
  } catch (e) {
    corrupt(`undecodable body (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!Array.isArray(wire)) corrupt("body is not an array");
  const f = new Fields(wire);
  const nowMs = f.int();
  const version = f.big(false);
  const op = f.pick(OPS);
  const cmd = commandFrom(op, f);
  f.end();
  return { cmd, stamp: { nowMs, version } };
}
