/**
 * The durable form of a raft-level simulated node's Raft state: a journal of
 * records, one per persisted Ready (hard state and entries), each written by
 * ONE put so a torn transaction loses whole records, never half of one. Every
 * record carries an FNV-1a checksum; a record that fails it is CORRUPTION,
 * never silently replayed.
 */
import { deserialize, serialize } from "node:v8";
import { TesseraError } from "../../src/lib/index.js";
import type { Entry, HardState } from "../../src/raft/index.js";
import type { EngineDb } from "../../src/storage/index.js";

export interface JournalRecord {
  readonly hardState: HardState | undefined;
  readonly entries: readonly Entry[];
}

export function fnv1a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function journalKey(seq: number): Uint8Array {
  const k = new Uint8Array(8);
  new DataView(k.buffer).setBigUint64(0, BigInt(seq));
  return k;
}

export function encodeRecord(r: JournalRecord): Uint8Array {
  const body = new Uint8Array(serialize({ hardState: r.hardState, entries: r.entries }));
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, fnv1a(body));
  out.set(body, 4);
  return out;
}

/** Every record in order; throws CORRUPTION on a bad checksum. */
export function readJournal(db: EngineDb): { records: JournalRecord[]; nextSeq: number } {
  const records: JournalRecord[] = [];
  let nextSeq = 1;
  for (const { key, value } of db.range({})) {
    const seq = Number(new DataView(key.buffer, key.byteOffset, 8).getBigUint64(0));
    const body = value.subarray(4);
    const sum = new DataView(value.buffer, value.byteOffset, 4).getUint32(0);
    if (value.length < 4 || fnv1a(body) !== sum) {
      throw new TesseraError("CORRUPTION", `journal record ${seq} fails its checksum`);
    }
    records.push(deserialize(body) as JournalRecord);
    nextSeq = seq + 1;
  }
  return { records, nextSeq };
}
