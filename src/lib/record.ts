/**
 * Value records (DESIGN.md §2): what a data key stores. A fixed 20-byte header
 * followed by the payload:
 *
 *   offset 0   u8   format version (1)
 *          1   u8   value type (0 string; 1 hash, 2 list, 3 set, 4 zset reserved)
 *          2   u8   flags (none defined yet: must be 0)
 *          3   u8   reserved (must be 0)
 *          4   u64  expiresAtMs, big-endian; 0 = no expiry
 *         12   u64  version: the HLC timestamp of the write (see hlc.ts)
 *         20   …    payload (the string's bytes for a string)
 *
 * The version is there from the first format so MVCC, watch and cross-range
 * transactions need no migration. Decoding validates every header field: a
 * record that fails is stored corruption (TesseraError CORRUPTION), never a bug
 * to assert on, since it came from disk or the network.
 */
import { assert } from "./assert.js";
import { uninitializedBytes } from "./bytes.js";
import { TesseraError } from "./errors.js";

export const RECORD_FORMAT_VERSION = 1;
export const RECORD_HEADER_BYTES = 20;

export const VALUE_TYPES = ["string", "hash", "list", "set", "zset"] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

/** Flag bits a record may carry; none are defined yet. */
export const RECORD_FLAGS_KNOWN = 0;

export interface ValueRecord {
  readonly type: ValueType;
  readonly flags: number;
  /** Absolute Unix ms at which the key expires; 0 means never. */
  readonly expiresAtMs: number;
  /** HLC timestamp of the write that produced this record. */
  readonly version: bigint;
  readonly payload: Uint8Array;
}

const U64_MAX = (1n << 64n) - 1n;

export function encodeRecord(r: ValueRecord): Uint8Array {
  const typeCode = VALUE_TYPES.indexOf(r.type);
  assert(typeCode >= 0, `unknown value type ${r.type}`);
  assert((r.flags & ~RECORD_FLAGS_KNOWN) === 0, `unknown record flags ${r.flags}`);
  assert(
    Number.isSafeInteger(r.expiresAtMs) && r.expiresAtMs >= 0,
    `bad expiresAtMs ${r.expiresAtMs}`,
  );
  assert(r.version >= 0n && r.version <= U64_MAX, `bad record version ${r.version}`);
  const out = uninitializedBytes(RECORD_HEADER_BYTES + r.payload.length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[0] = RECORD_FORMAT_VERSION;
  out[1] = typeCode;
  out[2] = r.flags;
  out[3] = 0;
  view.setBigUint64(4, BigInt(r.expiresAtMs));
  view.setBigUint64(12, r.version);
  out.set(r.payload, RECORD_HEADER_BYTES);
  return out;
}

function corrupt(what: string): never {
  throw new TesseraError("CORRUPTION", `corrupt value record: ${what}`);
}

/** Decodes a stored record; the payload is a view into `bytes` (not a copy). */
export function decodeRecord(bytes: Uint8Array): ValueRecord {
  if (bytes.length < RECORD_HEADER_BYTES)
    corrupt(`${bytes.length} bytes is shorter than the header`);
  if (bytes[0] !== RECORD_FORMAT_VERSION) corrupt(`unknown format version ${bytes[0]}`);
  const type = VALUE_TYPES[bytes[1] as number];
  if (type === undefined) corrupt(`unknown value type ${bytes[1]}`);
  const flags = bytes[2] as number;
  if ((flags & ~RECORD_FLAGS_KNOWN) !== 0) corrupt(`unknown flags ${flags}`);
  if (bytes[3] !== 0) corrupt("reserved byte is not zero");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const expires = view.getBigUint64(4);
  if (expires > BigInt(Number.MAX_SAFE_INTEGER)) corrupt(`expiry ${expires} out of range`);
  return {
    type,
    flags,
    expiresAtMs: Number(expires),
    version: view.getBigUint64(12),
    payload: bytes.subarray(RECORD_HEADER_BYTES),
  };
}

/** Whether `r` is expired at `nowMs` (expiry at or before now). */
export function isExpired(r: { readonly expiresAtMs: number }, nowMs: number): boolean {
  return r.expiresAtMs !== 0 && nowMs >= r.expiresAtMs;
}
