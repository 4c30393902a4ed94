/**
 * Reading and writing user keys as the state machine sees them: through a
 * `KvView`/`KvWriter` of internal keys, with expiry applied and the derived
 * metadata (counters, expiry index) kept exact.
 *
 * Invariants every write through a `WriteSession` keeps:
 * - an expired key (nowMs >= expiresAtMs) is absent to every read and write;
 *   a write that meets one reclaims it first, like Redis's lazy expiry on a
 *   master, which is not a logical change (the key was already gone);
 * - every stored record with an expiry has exactly one expiry index entry
 *   (expiresAtMs, data key), and no index entry points elsewhere;
 * - the counters (counters.ts) match the stored data once `finish()` ran;
 * - every record written carries the entry's version (its HLC stamp).
 */

import type { KeyspaceId, KeyspaceMode, ValueRecord, ValueType } from "../lib/index.js";
import {
  decodeRecord,
  encodeDataKey,
  encodeRecord,
  expiryIndexKey,
  isExpired,
} from "../lib/index.js";
import type { KvView, KvWriter } from "../storage/types.js";
import { type ApplyContext, allHash, type KeyspaceModeOf, type ReadContext } from "./context.js";
import { addCounters } from "./counters.js";

/** A value to store: the record minus the version, which the session supplies. */
export interface NewValue {
  readonly type: ValueType;
  readonly expiresAtMs: number;
  readonly payload: Uint8Array;
}

/** Read-only access to live (unexpired) keys. */
export class ReadSession {
  protected readonly modeOf: KeyspaceModeOf;

  constructor(
    protected readonly view: KvView,
    readonly nowMs: number,
    modeOf: KeyspaceModeOf | undefined,
  ) {
    this.modeOf = modeOf ?? allHash;
  }

  static of(view: KvView, ctx: ReadContext): ReadSession {
    return new ReadSession(view, ctx.nowMs, ctx.modeOf);
  }

  mode(ks: KeyspaceId): KeyspaceMode {
    return this.modeOf(ks);
  }

  dataKey(ks: KeyspaceId, key: Uint8Array): Uint8Array {
    return encodeDataKey(ks, this.modeOf(ks), key);
  }

  /** The live record of `key`, or undefined if it is missing or expired. */
  get(ks: KeyspaceId, key: Uint8Array): ValueRecord | undefined {
    const raw = this.view.get(this.dataKey(ks, key));
    if (raw === undefined) return undefined;
    const record = decodeRecord(raw);
    return isExpired(record, this.nowMs) ? undefined : record;
  }
}

/** One command's writes: read-your-writes access plus exact metadata upkeep. */
export class WriteSession extends ReadSession {
  private readonly deltas = new Map<KeyspaceId, { keys: number; expires: number }>();
  /**
   * What the last `get` found at (`ks`, `key`), `key` by identity, expired
   * records already reclaimed: a `put` or `delete` of that same key that
   * follows (SET reads, then writes) takes it instead of reading the store
   * again. Any write forgets it.
   */
  private looked:
    | { ks: KeyspaceId; key: Uint8Array; dataKey: Uint8Array; stored: ValueRecord | undefined }
    | undefined;

  constructor(
    private readonly writer: KvWriter,
    private readonly ctx: ApplyContext,
  ) {
    super(writer, ctx.nowMs, ctx.modeOf);
  }

  /** The live record of `key`; an expired one is reclaimed and reported absent. */
  override get(ks: KeyspaceId, key: Uint8Array): ValueRecord | undefined {
    const dataKey = this.dataKey(ks, key);
    const raw = this.writer.get(dataKey);
    let live: ValueRecord | undefined;
    if (raw !== undefined) {
      const record = decodeRecord(raw);
      if (isExpired(record, this.nowMs)) this.removeStored(ks, dataKey, record);
      else live = record;
    }
    this.looked = { ks, key, dataKey, stored: live };
    return live;
  }

  /** Stores `value` at `key`, replacing whatever is there. */
  put(ks: KeyspaceId, key: Uint8Array, value: NewValue): void {
    const { dataKey, stored: old } = this.stored(ks, key);
    if (old === undefined) this.count(ks, 1, 0);
    if (old !== undefined && old.expiresAtMs !== 0) {
      this.writer.delete(expiryIndexKey(ks, old.expiresAtMs, dataKey));
      this.count(ks, 0, -1);
    }
    if (value.expiresAtMs !== 0) {
      this.writer.put(expiryIndexKey(ks, value.expiresAtMs, dataKey), EMPTY);
      this.count(ks, 0, 1);
    }
    const record = {
      type: value.type,
      flags: 0,
      expiresAtMs: value.expiresAtMs,
      version: this.ctx.version,
      payload: value.payload,
    };
    this.writer.put(dataKey, encodeRecord(record));
  }

  /** Deletes `key` if it is stored (live or expired); returns whether it was live. */
  delete(ks: KeyspaceId, key: Uint8Array): boolean {
    const { dataKey, stored: record } = this.stored(ks, key);
    if (record === undefined) return false;
    this.removeStored(ks, dataKey, record);
    return !isExpired(record, this.nowMs);
  }

  /** Deletes `key` only if it is stored and expired; returns whether it did. */
  deleteIfExpired(ks: KeyspaceId, key: Uint8Array): boolean {
    const dataKey = this.dataKey(ks, key);
    const raw = this.writer.get(dataKey);
    if (raw === undefined) return false;
    const record = decodeRecord(raw);
    if (!isExpired(record, this.nowMs)) return false;
    this.removeStored(ks, dataKey, record);
    return true;
  }

  /** Writes the counter changes of this command; call once, after the last write. */
  finish(): void {
    for (const [ks, d] of this.deltas) addCounters(this.writer, ks, d.keys, d.expires);
    this.deltas.clear();
  }

  /** The data key of `key` and the record stored there (live or expired), read once per get. */
  private stored(
    ks: KeyspaceId,
    key: Uint8Array,
  ): { dataKey: Uint8Array; stored: ValueRecord | undefined } {
    const looked = this.looked;
    this.looked = undefined;
    if (looked !== undefined && looked.ks === ks && looked.key === key) return looked;
    const dataKey = this.dataKey(ks, key);
    const raw = this.writer.get(dataKey);
    return { dataKey, stored: raw === undefined ? undefined : decodeRecord(raw) };
  }

  private removeStored(ks: KeyspaceId, dataKey: Uint8Array, record: ValueRecord): void {
    this.looked = undefined;
    this.writer.delete(dataKey);
    if (record.expiresAtMs !== 0) {
      this.writer.delete(expiryIndexKey(ks, record.expiresAtMs, dataKey));
      this.count(ks, -1, -1);
    } else {
      this.count(ks, -1, 0);
    }
  }

  private count(ks: KeyspaceId, keys: number, expires: number): void {
    const d = this.deltas.get(ks);
    if (d === undefined) this.deltas.set(ks, { keys, expires });
    else {
      d.keys += keys;
      d.expires += expires;
    }
  }
}

const EMPTY = new Uint8Array(0);
