/**
 * Per-keyspace counters, kept in the replicated state under the metadata
 * prefix (lib/keys.ts `counterKey`) and updated by the same writer as the data,
 * so DBSIZE and INFO keyspace are O(1) and agree on every replica.
 *
 * Invariants (checked by the property tests against a model):
 * - `keys` is the number of data keys physically stored in the keyspace,
 *   including expired keys not yet reclaimed (Redis's DBSIZE counts those too);
 * - `expires` is how many of them carry an expiry, so 0 <= expires <= keys;
 * - a keyspace with no keys has no counter entry at all.
 *
 * Value: keys (u64 BE) | expires (u64 BE).
 */

import type { KeyspaceId } from "../lib/index.js";
import { assert, counterBounds, counterKey, decodeCounterKey, TesseraError } from "../lib/index.js";
import type { KvView, KvWriter } from "../storage/types.js";

export interface KeyspaceCounters {
  readonly keys: number;
  readonly expires: number;
}

export interface KeyspaceStats extends KeyspaceCounters {
  readonly ks: KeyspaceId;
}

const ZERO: KeyspaceCounters = { keys: 0, expires: 0 };

export function encodeCounters(c: KeyspaceCounters): Uint8Array {
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(c.keys));
  view.setBigUint64(8, BigInt(c.expires));
  return out;
}

export function decodeCounters(bytes: Uint8Array): KeyspaceCounters {
  if (bytes.length !== 16) throw new TesseraError("CORRUPTION", "corrupt keyspace counters");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const keys = Number(view.getBigUint64(0));
  const expires = Number(view.getBigUint64(8));
  if (!Number.isSafeInteger(keys) || expires > keys)
    throw new TesseraError("CORRUPTION", "corrupt keyspace counters");
  return { keys, expires };
}

export function readCounters(v: KvView, ks: KeyspaceId): KeyspaceCounters {
  const raw = v.get(counterKey(ks));
  return raw === undefined ? ZERO : decodeCounters(raw);
}

/** Adds the deltas to keyspace `ks`'s counters, removing the entry when it reaches zero keys. */
export function addCounters(
  w: KvWriter,
  ks: KeyspaceId,
  keysDelta: number,
  expiresDelta: number,
): void {
  if (keysDelta === 0 && expiresDelta === 0) return;
  const old = readCounters(w, ks);
  const next = { keys: old.keys + keysDelta, expires: old.expires + expiresDelta };
  assert(
    next.keys >= 0 && next.expires >= 0 && next.expires <= next.keys,
    `counters of keyspace ${ks} went wrong: ${JSON.stringify(next)}`,
  );
  if (next.keys === 0) w.delete(counterKey(ks));
  else w.put(counterKey(ks), encodeCounters(next));
}

/** The counters of every non-empty keyspace, in keyspace order. */
export function keyspaceStats(v: KvView): KeyspaceStats[] {
  const { start, end } = counterBounds();
  const out: KeyspaceStats[] = [];
  for (const { key, value } of v.scan(start, end, Number.MAX_SAFE_INTEGER)) {
    out.push({ ks: decodeCounterKey(key), ...decodeCounters(value) });
  }
  return out;
}
