/**
 * `RangeScopedView`: the store as one range's kv state machine sees it.
 *
 * The kv layer (src/kv) is written for one ordered key space with its
 * metadata (counters, expiry index) under tag 0x00. A store holds many
 * ranges, so each range's kv metadata lives among its range-local keys
 * (lib/keys.ts `rangeMetaKey`: 0x03 | rangeId | 0x00 | …) and its data is the
 * span of its descriptor. This view translates: a metadata key goes to the
 * range's local copy, a data key must lie in the span (asserted: callers
 * check keys before they apply or read, see command-keys.ts), and scans,
 * counts and range deletions are clipped to the span. So the state machine
 * of a range reads and writes only what the range owns — DBSIZE counts its
 * keys, FLUSHDB clears its span, the expirer finds its keys — and the
 * metadata of a range moves with it on splits, merges and snapshots.
 */
import {
  assert,
  compareBytes,
  KEY_TAG_META,
  META_KIND_EXPIRY,
  metaKeyOfRangeKey,
  rangeLocalPrefix,
  rangeMetaKey,
} from "../lib/index.js";
import type { KvView, KvWriter } from "../storage/index.js";

export interface SpanSource {
  readonly rangeId: number;
  /** The range's current data span (it changes with splits and merges). */
  span(): { readonly start: Uint8Array; readonly end: Uint8Array };
}

/** The first key after every kv metadata key (tag 0x00). */
const META_END = Uint8Array.of(KEY_TAG_META + 1);

export class RangeScopedView implements KvWriter {
  /** Entries this view wrote to the expiry index (the expirer's cue, expirer.ts). */
  expiryEntriesWritten = 0;

  constructor(
    private readonly base: KvView,
    private readonly source: SpanSource,
  ) {}

  get(key: Uint8Array): Uint8Array | undefined {
    return this.base.get(this.physical(key));
  }

  scan(
    start: Uint8Array,
    end: Uint8Array,
    limit: number,
  ): Iterable<{ key: Uint8Array; value: Uint8Array }> {
    const parts = this.parts(start, end);
    const base = this.base;
    return {
      *[Symbol.iterator]() {
        let left = limit;
        for (const p of parts) {
          if (left <= 0) return;
          for (const e of base.scan(p.start, p.end, left)) {
            left--;
            yield p.meta ? { key: metaKeyOfRangeKey(e.key), value: e.value } : e;
          }
        }
      },
    };
  }

  count(start: Uint8Array, end: Uint8Array): number {
    let n = 0;
    for (const p of this.parts(start, end)) n += this.base.count(p.start, p.end);
    return n;
  }

  put(key: Uint8Array, record: Uint8Array): void {
    if (key[0] === KEY_TAG_META && key[1] === META_KIND_EXPIRY) this.expiryEntriesWritten++;
    this.writer().put(this.physical(key), record);
  }

  delete(key: Uint8Array): void {
    this.writer().delete(this.physical(key));
  }

  deleteRange(start: Uint8Array, end: Uint8Array): void {
    for (const p of this.parts(start, end)) this.writer().deleteRange(p.start, p.end);
  }

  private writer(): KvWriter {
    const w = this.base as Partial<KvWriter>;
    assert(typeof w.put === "function", "writing through a read-only range view");
    return this.base as KvWriter;
  }

  private physical(key: Uint8Array): Uint8Array {
    if (key[0] === KEY_TAG_META) return rangeMetaKey(this.source.rangeId, key);
    const span = this.source.span();
    assert(
      compareBytes(span.start, key) <= 0 && compareBytes(key, span.end) < 0,
      `range ${this.source.rangeId}: key outside its span`,
    );
    return key;
  }

  /** The physical intervals of virtual [start, end): the metadata part, then the data part. */
  private parts(
    start: Uint8Array,
    end: Uint8Array,
  ): { start: Uint8Array; end: Uint8Array; meta: boolean }[] {
    const out: { start: Uint8Array; end: Uint8Array; meta: boolean }[] = [];
    if (compareBytes(start, end) >= 0) return out;
    const id = this.source.rangeId;
    if (compareBytes(start, META_END) < 0) {
      const metaEnd = compareBytes(end, META_END) < 0 ? end : META_END;
      const pStart =
        start.length === 0 ? rangeMetaKey(id, new Uint8Array()) : rangeMetaKey(id, start);
      const pEnd =
        metaEnd === META_END
          ? Uint8Array.of(...rangeLocalPrefix(id), KEY_TAG_META + 1)
          : rangeMetaKey(id, metaEnd);
      out.push({ start: pStart, end: pEnd, meta: true });
    }
    const span = this.source.span();
    const s = compareBytes(start, span.start) > 0 ? start : span.start;
    const e = compareBytes(end, span.end) < 0 ? end : span.end;
    if (compareBytes(s, e) < 0) out.push({ start: s, end: e, meta: false });
    return out;
  }
}
