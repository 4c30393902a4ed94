/**
 * Expiry: resolving what a write asks for against the entry's stamp, and
 * finding keys that are due for background deletion.
 *
 * A relative expiry is resolved at apply time against `ApplyContext.nowMs`,
 * the stamp the leader gave the entry, so replicas agree. A resolved time at or
 * before the stamp means "already expired": the write deletes the key instead
 * of storing it (Redis's `checkAlreadyExpired`), which keeps expired records
 * out of the store and the counters exact.
 *
 * The leader's background expirer calls `findExpiredKeys` and proposes an
 * `expire-due` command per keyspace with what it finds; apply deletes only the
 * keys still expired at that entry's stamp.
 */

import type { KeyspaceId } from "../lib/index.js";
import { decodeDataKey, decodeExpiryIndexKey, expiryIndexBounds } from "../lib/index.js";
import type { KvView } from "../storage/types.js";
import type { ExpirySpec } from "./command.js";

/** Resolution of an expiry request: a time to store (0 = none), or why none. */
export type ResolvedExpiry =
  | { readonly kind: "at"; readonly atMs: number }
  | { readonly kind: "expired" }
  | { readonly kind: "invalid" };

/**
 * What expiry a write stores, given the key's current expiry (0 if none or
 * absent). `kind: "expired"` means the time is not after `nowMs`.
 */
export function resolveExpiry(
  spec: ExpirySpec,
  nowMs: number,
  currentAtMs: number,
): ResolvedExpiry {
  switch (spec.kind) {
    case "none":
    case "persist":
      return { kind: "at", atMs: 0 };
    case "keep":
      return { kind: "at", atMs: currentAtMs };
    case "in":
      return absolute(nowMs + spec.ms, nowMs);
    case "at":
      return absolute(spec.atMs, nowMs);
  }
}

function absolute(atMs: number, nowMs: number): ResolvedExpiry {
  if (!Number.isSafeInteger(atMs)) return { kind: "invalid" };
  return atMs <= nowMs ? { kind: "expired" } : { kind: "at", atMs };
}

/** Keys found due in one keyspace: the body of one `expire-due` command. */
export interface ExpiredKeys {
  readonly ks: KeyspaceId;
  readonly keys: Uint8Array[];
}

/**
 * Up to `limit` keys expired at `nowMs` (expiresAtMs <= nowMs), oldest expiry
 * first within each keyspace, grouped by keyspace; `ks` undefined looks in
 * every keyspace. Reads only the expiry index, so the cost is proportional to
 * what it returns plus one seek per keyspace.
 */
export function findExpiredKeys(
  v: KvView,
  ks: KeyspaceId | undefined,
  nowMs: number,
  limit: number,
): ExpiredKeys[] {
  const out: ExpiredKeys[] = [];
  let left = limit;
  if (ks !== undefined) {
    collect(v, ks, nowMs, left, out);
    return out;
  }
  const all = expiryIndexBounds(undefined);
  let from = all.start;
  while (left > 0) {
    // The next keyspace that has any index entry at all.
    const first = firstOf(v.scan(from, all.end, 1));
    if (first === undefined) break;
    const space = decodeExpiryIndexKey(first.key).ks;
    left -= collect(v, space, nowMs, left, out);
    const whole = expiryIndexBounds(space);
    from = whole.end;
  }
  return out;
}

function collect(
  v: KvView,
  ks: KeyspaceId,
  nowMs: number,
  limit: number,
  out: ExpiredKeys[],
): number {
  if (limit <= 0) return 0;
  const { start, end } = expiryIndexBounds(ks, 0, nowMs + 1);
  const keys: Uint8Array[] = [];
  for (const { key } of v.scan(start, end, limit)) {
    keys.push(decodeDataKey(decodeExpiryIndexKey(key).dataKey).userKey.slice());
  }
  if (keys.length > 0) out.push({ ks, keys });
  return keys.length;
}

function firstOf<T>(it: Iterable<T>): T | undefined {
  for (const x of it) return x;
  return undefined;
}
