/**
 * Which range owns a keyspace. For now ranges own whole keyspaces: range 1
 * the system keyspace (cluster metadata), range 2 every user keyspace. The
 * span of a range (the internal keys a snapshot carries and a removal deletes)
 * follows from the keyspaces it owns: their data keys in both partitioning
 * modes and their reserved 0x00 metadata (counters, expiry index).
 */
import {
  allDataBounds,
  counterBounds,
  counterKey,
  expiryIndexBounds,
  type KeyBounds,
  type KeyspaceId,
  keyspaceBounds,
  type RangeId,
  rangeId,
  SYSTEM_KEYSPACE_ID,
} from "../lib/index.js";
import type { RangeSpanSpec } from "./host-types.js";

export const SYSTEM_RANGE_ID: RangeId = rangeId(1);
export const USER_RANGE_ID: RangeId = rangeId(2);

export function rangeForKeyspace(ks: KeyspaceId): RangeId {
  return ks === SYSTEM_KEYSPACE_ID ? SYSTEM_RANGE_ID : USER_RANGE_ID;
}

/** The span kind of a range id (ranges 1 and 2 are all there are for now). */
export function spanOfRange(id: RangeId): RangeSpanSpec {
  return id === SYSTEM_RANGE_ID ? "system" : "user";
}

/** A key interval, start inclusive, end exclusive. */
export type Span = KeyBounds;

/** The key intervals of a range's span, ascending and disjoint. */
export function spanBounds(spec: RangeSpanSpec): Span[] {
  const sys = SYSTEM_KEYSPACE_ID;
  const sysCounter = counterKey(sys);
  const sysCounterEnd = new Uint8Array([...sysCounter, 0]);
  const sysExpiry = expiryIndexBounds(sys);
  if (spec === "system") {
    return [
      { start: sysCounter, end: sysCounterEnd },
      sysExpiry,
      keyspaceBounds(sys, "hash"),
      keyspaceBounds(sys, "range"),
    ];
  }
  // Every key but the system keyspace's: the meta area minus the system's
  // counter and expiry entries, and the data area minus the system's data.
  const counters = counterBounds();
  const expiry = expiryIndexBounds(undefined);
  const data = allDataBounds();
  return subtract(
    [counters, expiry, data],
    [
      { start: sysCounter, end: sysCounterEnd },
      sysExpiry,
      keyspaceBounds(sys, "hash"),
      keyspaceBounds(sys, "range"),
    ],
  );
}

function cmp(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function subtract(spans: Span[], holes: Span[]): Span[] {
  let out = spans;
  for (const h of holes) {
    const next: Span[] = [];
    for (const s of out) {
      if (cmp(h.end, s.start) <= 0 || cmp(h.start, s.end) >= 0) {
        next.push(s);
        continue;
      }
      if (cmp(s.start, h.start) < 0) next.push({ start: s.start, end: h.start });
      if (cmp(h.end, s.end) < 0) next.push({ start: h.end, end: s.end });
    }
    out = next;
  }
  return out.sort((a, b) => cmp(a.start, b.start));
}
