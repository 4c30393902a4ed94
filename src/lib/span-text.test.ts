/**
 * Spans in words: the initial ranges, slot intervals of keyspace 0 and of
 * other keyspaces, spans over several keyspaces, the ordered area, and the
 * escaping that keeps a span one INFO field.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SLOT_COUNT } from "./crc16.js";
import { keyspaceId, SYSTEM_KEYSPACE_ID } from "./ids.js";
import { encodeDataKey, KEY_TAG_HASH, KEY_TAG_RANGE, slotBoundaryKey } from "./keys.js";
import { describeSpan, quoteKey } from "./span-text.js";

const ks = keyspaceId;
const slot = (k: number, s: number) => slotBoundaryKey(ks(k), s);
const ordered = (k: number, key: string) =>
  encodeDataKey(ks(k), "range", new TextEncoder().encode(key));

describe("describeSpan", () => {
  it("describes the ranges a cluster starts with", () => {
    const systemStart = slot(SYSTEM_KEYSPACE_ID, 0);
    assert.equal(describeSpan(systemStart, Uint8Array.of(KEY_TAG_RANGE)), "system");
    assert.equal(
      describeSpan(Uint8Array.of(KEY_TAG_HASH), systemStart),
      "slots 0-16383 + db1-db4294967294",
    );
    assert.equal(
      describeSpan(Uint8Array.of(KEY_TAG_RANGE), Uint8Array.of(KEY_TAG_RANGE + 1)),
      "ordered db0-db4294967295",
    );
  });

  it("shows keyspace 0 as its inclusive slot interval", () => {
    assert.equal(describeSpan(slot(0, 0), slot(0, 5461)), "slots 0-5460");
    assert.equal(describeSpan(slot(0, 5461), slot(0, SLOT_COUNT)), "slots 5461-16383");
    assert.equal(describeSpan(slot(0, 10922), slot(1, 0)), "slots 10922-16383");
    assert.equal(describeSpan(Uint8Array.of(KEY_TAG_HASH), slot(0, 1)), "slots 0-0");
  });

  it("names other keyspaces, whole or by slots", () => {
    assert.equal(describeSpan(slot(3, 0), slot(4, 0)), "db3");
    assert.equal(describeSpan(slot(3, 100), slot(3, 200)), "db3 slots 100-199");
    assert.equal(describeSpan(slot(1, 0), slot(SYSTEM_KEYSPACE_ID, 0)), "db1-db4294967294");
  });

  it("lists the pieces of a span over several keyspaces", () => {
    assert.equal(describeSpan(slot(0, 100), slot(2, 50)), "slots 100-16383 + db1 + db2 slots 0-49");
    assert.equal(describeSpan(slot(2, 8), slot(5, 0)), "db2 slots 8-16383 + db3-db4");
    assert.equal(
      describeSpan(Uint8Array.of(KEY_TAG_HASH), Uint8Array.of(KEY_TAG_RANGE + 1)),
      "slots 0-16383 + db1-db4294967294 + system + ordered db0-db4294967295",
    );
  });

  it("shows spans of the ordered area with their keys", () => {
    assert.equal(describeSpan(ordered(3, ""), ordered(4, "")), "ordered db3");
    assert.equal(describeSpan(ordered(3, "a"), ordered(3, "m")), 'ordered db3 keys "a" to "m"');
    assert.equal(describeSpan(ordered(3, ""), ordered(3, "m")), 'ordered db3 keys -inf to "m"');
    assert.equal(describeSpan(ordered(3, "m"), ordered(4, "")), 'ordered db3 keys "m" to +inf');
    assert.equal(describeSpan(ordered(1, "x"), ordered(5, "b")), 'ordered db1 "x" to db5 "b"');
  });

  it("shows spans outside the data areas in hex, and an empty span as such", () => {
    assert.equal(describeSpan(Uint8Array.of(3, 0), Uint8Array.of(4)), "0x0300-0x04");
    assert.equal(describeSpan(Uint8Array.of(2), Uint8Array.of(2)), "empty");
  });
});

describe("quoteKey", () => {
  it("escapes what would break an INFO field and cuts long keys", () => {
    const key = new TextEncoder().encode('a,b=c"d\\e f');
    assert.equal(quoteKey(key), '"a\\x2cb\\x3dc\\x22d\\x5ce f"');
    assert.equal(quoteKey(Uint8Array.of(0, 0xff)), '"\\x00\\xff"');
    assert.equal(quoteKey(new Uint8Array(40).fill(0x61)), `"${"a".repeat(32)}..."`);
    assert.doesNotMatch(quoteKey(key), /[,=]/);
  });
});
