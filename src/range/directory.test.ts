import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keyspaceId, nodeId, rangeId, slotBoundaryKey } from "../lib/index.js";
import { type DirectoryEntry, RangeDirectory } from "./directory.js";

const KS = keyspaceId(0);
const at = (slot: number) => slotBoundaryKey(KS, slot);
const entry = (id: number, from: number, to: number, generation: number): DirectoryEntry => ({
  desc: { rangeId: rangeId(id), start: at(from), end: at(to), generation },
  voters: [nodeId(1)],
  learners: [],
});

describe("RangeDirectory", () => {
  it("routes by span, local entries beating older meta entries of the same range", () => {
    const local: DirectoryEntry[] = [entry(2, 0, 100, 3)];
    const d = new RangeDirectory({ localRanges: () => local });
    d.setMeta([entry(2, 0, 200, 2), entry(5, 200, 300, 2)]);
    assert.equal(d.lookup(at(50))?.desc.rangeId, 2);
    assert.equal(d.lookup(at(250))?.desc.rangeId, 5);
    // Range 2 shrank (local, newer): nothing known covers 100-200 until the meta table says.
    assert.equal(d.lookup(at(150)), undefined);
  });

  it("keeps the uncovered parts of a stale entry when a newer one overlaps it", () => {
    const d = new RangeDirectory({ localRanges: () => [entry(4, 1024, 2048, 6)] });
    d.setMeta([entry(2, 0, 2048, 5)]);
    // The stale range 2 still routes slot 0; range 4 (newer) owns 1024-2048.
    assert.equal(d.lookup(at(0))?.desc.rangeId, 2);
    assert.equal(d.lookup(at(1500))?.desc.rangeId, 4);
    const spans = d.all().map((e) => [e.desc.rangeId, e.desc.start[6], e.desc.end[6]]);
    assert.equal(spans.length, 2);
  });

  it("lists the meta entries a merged range made stale", () => {
    const d = new RangeDirectory({ localRanges: () => [] });
    d.setMeta([entry(2, 0, 100, 7), entry(9, 100, 200, 4)]);
    const merged = { rangeId: rangeId(2), start: at(0), end: at(200), generation: 8 };
    assert.deepEqual(d.staleMetaWithin(merged), [9]);
  });

  it("finds stale entries by search, following writes, deletions and reloads of the table", () => {
    const d = new RangeDirectory({ localRanges: () => [] });
    // 1,000 ranges of 16 slots; range 2 then absorbs its four right neighbours.
    d.setMeta(Array.from({ length: 1000 }, (_, i) => entry(i + 2, i * 16, i * 16 + 16, 4)));
    const merged = { rangeId: rangeId(2), start: at(0), end: at(80), generation: 5 };
    assert.deepEqual(d.staleMetaWithin(merged), [3, 4, 5, 6]);
    // A write that keeps an entry's start keeps its place; one that moves it, and a deletion, do not.
    d.noteMetaWritten({ ...entry(4, 32, 48, 4), leaderId: nodeId(2) });
    assert.deepEqual(d.staleMetaWithin(merged), [3, 4, 5, 6]);
    d.noteMetaWritten(entry(2, 0, 80, 5));
    d.noteMetaDeleted(rangeId(3));
    assert.deepEqual(d.staleMetaWithin(merged), [4, 5, 6]);
    d.noteMetaWritten(entry(5, 40, 64, 4));
    assert.deepEqual(d.staleMetaWithin(merged), [4, 5, 6]);
    d.setMeta([entry(2, 0, 80, 5), entry(6, 64, 80, 4), entry(7, 80, 96, 4)]);
    assert.deepEqual(d.staleMetaWithin(merged), [6]);
    // Newer entries inside the span, or reaching past its end, are not stale.
    d.setMeta([entry(2, 0, 80, 5), entry(6, 64, 80, 6), entry(7, 70, 96, 4)]);
    assert.deepEqual(d.staleMetaWithin(merged), []);
  });

  it("keeps its table when a range held here is written to the meta table, rebuilds it for others", () => {
    const d = new RangeDirectory({ localRanges: () => [entry(2, 0, 100, 3)] });
    d.setMeta([entry(2, 0, 100, 2), entry(5, 100, 300, 2)]);
    const table = d.all();
    d.noteMetaWritten(entry(2, 0, 100, 3));
    assert.equal(d.all(), table, "the local replica outranks what it wrote");
    assert.equal(d.metaEntry(rangeId(2))?.desc.generation, 3);
    d.noteMetaWritten(entry(5, 100, 200, 3));
    assert.notEqual(d.all(), table);
    assert.equal(d.byId(rangeId(5))?.desc.end[6], at(200)[6]);
    assert.equal(d.lookup(at(250)), undefined);
  });
});
