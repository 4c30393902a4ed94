import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nodeId, rangeId, TesseraError } from "../lib/index.js";
import { decodeDescriptor, encodeDescriptor, USER_HASH_RANGE } from "./descriptor.js";
import { decodeMetaEntry, encodeMetaEntry } from "./meta-table.js";

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
});
