/**
 * Helpers over runs of log entries: their byte size and prefix limiting.
 *
 * An entry's size is its data length plus a fixed overhead for term, index and
 * type, so that even empty entries count against byte limits (etcd-io/raft
 * util.go limitSize, payloadSize). Limiting always keeps at least one entry so
 * progress is never blocked by a single large entry.
 */
import type { Entry } from "./types.js";

export const ENTRY_OVERHEAD_BYTES = 16;

export function entrySize(e: Entry): number {
  return e.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

/** The payload size that counts against the uncommitted-size limit (data only). */
export function payloadSize(e: Entry): number {
  return e.data.byteLength;
}

export function entriesSize(ents: readonly Entry[]): number {
  let n = 0;
  for (const e of ents) n += entrySize(e);
  return n;
}

export function payloadsSize(ents: readonly Entry[]): number {
  let n = 0;
  for (const e of ents) n += payloadSize(e);
  return n;
}

/** The longest prefix of `ents` within `maxBytes`, and at least one entry. */
export function limitSize<T extends Entry>(ents: T[], maxBytes: number): T[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n]!);
    if (size > maxBytes) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}
