import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KvReply } from "../kv/index.js";
import { nodeId, rangeId, TesseraError } from "../lib/index.js";
import { decodeDescriptor, encodeDescriptor, USER_HASH_RANGE } from "./descriptor.js";
import { RangeDirectory } from "./directory.js";
import { decodeMetaEntry, encodeMetaEntry, MetaTableDecoder } from "./meta-table.js";

describe("meta table entries", () => {
  it("round-trip descriptors with and without the sticky flag, with members", () => {
    for (const sticky of [false, true]) {
      const e = {
        desc: {
          ...USER_HASH_RANGE,
          rangeId: rangeId(7),
          generation: 4,
          ...(sticky ? { sticky } : {}),
        },
        voters: [nodeId(1), nodeId(3), nodeId(4)],
        learners: [nodeId(5)],
        leaderId: nodeId(3),
      };
      const back = decodeMetaEntry(encodeMetaEntry(e));
      assert.deepEqual(back, e);
      assert.deepEqual(decodeDescriptor(encodeDescriptor(e.desc)), e.desc);
    }
  });

  it("refuses a damaged entry", () => {
    const bytes = encodeMetaEntry({ desc: USER_HASH_RANGE, voters: [nodeId(1)], learners: [] });
    assert.throws(() => decodeMetaEntry(bytes.subarray(0, bytes.length - 1)), TesseraError);
    assert.throws(() => decodeMetaEntry(new Uint8Array([0, 200, 1])), TesseraError);
  });

  it("reloads keep the entries that did not change, and the range cache then rebuilds nothing", () => {
    const entry = (id: number, generation: number) => ({
      desc: { ...USER_HASH_RANGE, rangeId: rangeId(id), generation },
      voters: [nodeId(1)],
      learners: [],
    });
    // MGET replies of ranges/1 … ranges/4: range 3 has no entry.
    const load = (...gens: (number | undefined)[]): KvReply[] => [
      {
        t: "array",
        v: gens.map(
          (g, i): KvReply =>
            g === undefined ? { t: "nil" } : { t: "bulk", v: encodeMetaEntry(entry(i + 1, g)) },
        ),
      },
    ];
    const decoder = new MetaTableDecoder();
    const directory = new RangeDirectory({ localRanges: () => [] });
    const first = decoder.entriesOf(load(1, 1, undefined, 1));
    assert.deepEqual(directory.setMeta(first).sort(), [1, 2, 4]);
    const table = directory.all();
    const again = decoder.entriesOf(load(1, 1, undefined, 1));
    assert.ok(
      again.every((e, i) => e === first[i]),
      "the same objects",
    );
    assert.deepEqual(directory.setMeta(again), []);
    assert.equal(directory.all(), table, "not rebuilt");
    // Range 2 changed, range 4 went, range 3 came.
    const third = decoder.entriesOf(load(1, 2, 1, undefined));
    assert.equal(third[0], first[0]);
    assert.deepEqual(third[1], entry(2, 2));
    assert.deepEqual(directory.setMeta(third).sort(), [2, 3, 4]);
    assert.notEqual(directory.all(), table);
  });
});
