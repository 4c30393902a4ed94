/**
 * Tests of CRC16 and Redis Cluster key slots, against known values and ioredis.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import fc from "fast-check";
import { crc16, keyHashSlot, SLOT_COUNT } from "./crc16.js";

// cluster-key-slot (a dependency of ioredis) is ioredis's own slot function: an
// independent oracle. It ships no types, hence the cast.
const clusterKeySlot = createRequire(import.meta.url)("cluster-key-slot") as (
  key: string | Buffer,
) => number;

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("crc16", () => {
  it("matches the XMODEM check value for 123456789", () => {
    assert.equal(crc16(utf8("123456789")), 0x31c3);
  });

  it("is 0 for the empty string", () => {
    assert.equal(crc16(new Uint8Array(0)), 0);
  });
});

describe("keyHashSlot", () => {
  it("gives the slots Redis documents", () => {
    assert.equal(keyHashSlot(utf8("foo")), 12182);
    assert.equal(keyHashSlot(utf8("bar")), 5061);
    assert.equal(keyHashSlot(utf8("hello")), 866);
    assert.equal(keyHashSlot(utf8("123456789")), 0x31c3 % SLOT_COUNT);
  });

  it("hashes only a non-empty hash tag", () => {
    const tagged = keyHashSlot(utf8("user1000"));
    assert.equal(keyHashSlot(utf8("{user1000}.following")), tagged);
    assert.equal(keyHashSlot(utf8("{user1000}.followers")), tagged);
    assert.equal(keyHashSlot(utf8("foo{user1000}bar{zap}")), tagged);
  });

  it("hashes the whole key when the tag is empty or unclosed", () => {
    assert.equal(keyHashSlot(utf8("foo{}{bar}")), crc16(utf8("foo{}{bar}")) % SLOT_COUNT);
    assert.equal(keyHashSlot(utf8("foo{bar")), crc16(utf8("foo{bar")) % SLOT_COUNT);
    // The first "}" after the first "{" closes the tag, even if it is "{".
    assert.equal(keyHashSlot(utf8("foo{{bar}}zap")), keyHashSlot(utf8("{bar")));
    assert.equal(keyHashSlot(utf8("foo{bar}{zap}")), keyHashSlot(utf8("bar")));
  });

  it("agrees with ioredis's cluster-key-slot on arbitrary keys", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.string({ maxLength: 20 }), (bytes, s) => {
        assert.equal(keyHashSlot(bytes), clusterKeySlot(Buffer.from(bytes)));
        assert.equal(keyHashSlot(utf8(s)), clusterKeySlot(s));
      }),
    );
  });
});
