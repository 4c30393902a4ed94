/**
 * The key-size check a write passes before it is proposed. LMDB refuses keys
 * over its maximum size; a user key becomes an internal key (and, with a TTL,
 * part of an expiry-index key) with a few bytes of prefix, so user keys are
 * limited to `USER_KEY_BYTES_MAX`, leaving room for every prefix. A longer key
 * is LIMIT_EXCEEDED here and never reaches the log, where it would fail on
 * every replica.
 */
import type { KvCommand, WriteCommand } from "../kv/index.js";
import { compareBytes, encodeDataKey, type KeyspaceId, TesseraError } from "../lib/index.js";
import { STORE_KEY_BYTES_MAX } from "../storage/index.js";

/** Longest user key a write may carry. */
export const USER_KEY_BYTES_MAX = STORE_KEY_BYTES_MAX - 64;

function check(key: Uint8Array): void {
  if (key.byteLength > USER_KEY_BYTES_MAX) {
    throw new TesseraError(
      "LIMIT_EXCEEDED",
      `key of ${key.byteLength} bytes exceeds the longest key Tessera stores (${USER_KEY_BYTES_MAX} bytes)`,
    );
  }
}

export function checkCommandKeys(cmd: WriteCommand): void {
  switch (cmd.op) {
    case "mset":
      for (const [k] of cmd.pairs) check(k);
      return;
    case "del":
    case "expire-due":
      for (const k of cmd.keys) check(k);
      return;
    case "rename":
    case "copy":
      check(cmd.src);
      check(cmd.dst);
      return;
    case "flush":
      return;
    default:
      check(cmd.key);
  }
}

/**
 * The user keys a command names, with their keyspaces; undefined for a
 * command over a whole keyspace (FLUSHDB, KEYS, SCAN, DBSIZE, RANDOMKEY),
 * which each range serves for the part of the keyspace it owns.
 */
export function commandUserKeys(
  cmd: KvCommand,
): readonly (readonly [KeyspaceId, Uint8Array])[] | undefined {
  switch (cmd.op) {
    case "mset":
      return cmd.pairs.map(([k]) => [cmd.ks, k] as const);
    case "del":
    case "expire-due":
    case "mget":
    case "exists":
    case "touch":
      return cmd.keys.map((k) => [cmd.ks, k] as const);
    case "rename":
      return [
        [cmd.ks, cmd.src],
        [cmd.ks, cmd.dst],
      ];
    case "copy":
      return [
        [cmd.ks, cmd.src],
        [cmd.dstKs, cmd.dst],
      ];
    case "flush":
    case "keys":
    case "scan":
    case "randomkey":
    case "dbsize":
      return undefined;
    default:
      return [[cmd.ks, cmd.key]];
  }
}

/**
 * The internal key of a user key. Every keyspace is a hash keyspace until
 * keyspaces can be created with a mode (the API issue); the range layer then
 * looks the mode up here, in one place.
 */
export function internalKeyOf(ks: KeyspaceId, key: Uint8Array): Uint8Array {
  return encodeDataKey(ks, "hash", key);
}

/** Whether every key `cmd` names lies in [start, end). */
export function commandInSpan(
  cmd: KvCommand,
  span: { readonly start: Uint8Array; readonly end: Uint8Array },
): boolean {
  const keys = commandUserKeys(cmd);
  if (keys === undefined) return true;
  for (const [ks, k] of keys) {
    const ik = internalKeyOf(ks, k);
    if (compareBytes(span.start, ik) > 0 || compareBytes(ik, span.end) >= 0) return false;
  }
  return true;
}
