/**
 * The key-size check a write passes before it is proposed. LMDB refuses keys
 * over its maximum size; a user key becomes an internal key (and, with a TTL,
 * part of an expiry-index key) with a few bytes of prefix, so user keys are
 * limited to `USER_KEY_BYTES_MAX`, leaving room for every prefix. A longer key
 * is LIMIT_EXCEEDED here and never reaches the log, where it would fail on
 * every replica.
 */
import type { WriteCommand } from "../kv/index.js";
import { TesseraError } from "../lib/index.js";
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
