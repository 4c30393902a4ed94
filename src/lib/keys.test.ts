/**
 * Property tests of the internal key encoding: order preservation, round
 * trips and the bounds of keyspaces, slot intervals and key intervals.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compareBytes } from "./bytes.js";
import { keyHashSlot, SLOT_COUNT } from "./crc16.js";
import { keyspaceId } from "./ids.js";
import {
  allDataBounds,
  counterBounds,
  counterKey,
  decodeCounterKey,
  decodeDataKey,
  decodeExpiryIndexKey,
  encodeDataKey,
  encodeHashKey,
  expiryIndexBounds,
  expiryIndexKey,
  INTERNAL_KEY_OVERHEAD_BYTES_MAX,
  type KeyspaceMode,
  keyIntervalBounds,
  keyspaceBounds,
  slotBounds,
} from "./keys.js";

const within = (key: Uint8Array, b: { start: Uint8Array; end: Uint8Array }): boolean =>
  compareBytes(b.start, key) <= 0 && compareBytes(key, b.end) < 0;
const sign = (n: number): number => Math.sign(n);
const arbKs = fc.integer({ min: 0, max: 0xffff_ffff }).map(keyspaceId);
const arbKey = fc.uint8Array({ maxLength: 24 });
const arbMode = fc.constantFrom<KeyspaceMode>("hash", "range");

describe("internal keys", () => {
  it("round-trips data keys of both modes", () => {
    fc.assert(
      fc.property(arbKs, arbMode, arbKey, (ks, mode, key) => {
        const d = decodeDataKey(encodeDataKey(ks, mode, key));
        assert.equal(d.ks, ks);
        assert.equal(d.mode, mode);
        assert.deepEqual(d.userKey, key);
        assert.equal(d.slot, mode === "hash" ? keyHashSlot(key) : undefined);
      }),
    );
  });

  it("orders hash keys by (keyspace, slot, key)", () => {
    fc.assert(
      fc.property(arbKs, arbKs, arbKey, arbKey, (ks1, ks2, k1, k2) => {
        const a = encodeDataKey(ks1, "hash", k1);
        const b = encodeDataKey(ks2, "hash", k2);
        const want =
          ks1 !== ks2
            ? ks1 - ks2
            : keyHashSlot(k1) !== keyHashSlot(k2)
              ? keyHashSlot(k1) - keyHashSlot(k2)
              : compareBytes(k1, k2);
        assert.equal(sign(compareBytes(a, b)), sign(want));
      }),
    );
  });

  it("orders range keys by (keyspace, key)", () => {
    fc.assert(
      fc.property(arbKs, arbKs, arbKey, arbKey, (ks1, ks2, k1, k2) => {
        const a = encodeDataKey(ks1, "range", k1);
        const b = encodeDataKey(ks2, "range", k2);
        assert.equal(
          sign(compareBytes(a, b)),
          sign(ks1 !== ks2 ? ks1 - ks2 : compareBytes(k1, k2)),
        );
      }),
    );
  });

  it("keeps every key of a keyspace inside its bounds and out of its neighbours'", () => {
    fc.assert(
      fc.property(arbKs, arbKs, arbMode, arbKey, (ks, other, mode, key) => {
        const k = encodeDataKey(ks, mode, key);
        assert.ok(within(k, keyspaceBounds(ks, mode)));
        assert.ok(within(k, allDataBounds()));
        if (other !== ks) assert.ok(!within(k, keyspaceBounds(other, mode)));
        const otherMode: KeyspaceMode = mode === "hash" ? "range" : "hash";
        assert.ok(!within(k, keyspaceBounds(ks, otherMode)));
      }),
    );
  });

  it("puts a key in a slot interval exactly when its slot is in it", () => {
    fc.assert(
      fc.property(
        arbKey,
        fc.integer({ min: 0, max: SLOT_COUNT }),
        fc.integer({ min: 0, max: SLOT_COUNT }),
        (key, x, y) => {
          const [lo, hi] = x <= y ? [x, y] : [y, x];
          const ks = keyspaceId(3);
          const slot = keyHashSlot(key);
          assert.equal(
            within(encodeDataKey(ks, "hash", key), slotBounds(ks, lo, hi)),
            lo <= slot && slot < hi,
          );
        },
      ),
    );
  });

  it("puts a range key in a key interval exactly when the key is in it", () => {
    fc.assert(
      fc.property(arbKey, arbKey, fc.option(arbKey, { nil: undefined }), (key, lo, hi) => {
        const ks = keyspaceId(9);
        const inside =
          compareBytes(lo, key) <= 0 && (hi === undefined || compareBytes(key, hi) < 0);
        assert.equal(
          within(encodeDataKey(ks, "range", key), keyIntervalBounds(ks, lo, hi)),
          inside,
        );
      }),
    );
  });

  it("keeps metadata keys out of every data span", () => {
    fc.assert(
      fc.property(
        arbKs,
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        arbMode,
        arbKey,
        (ks, at, mode, key) => {
          const data = allDataBounds();
          const idx = expiryIndexKey(ks, at, encodeDataKey(ks, mode, key));
          assert.ok(!within(counterKey(ks), data));
          assert.ok(!within(idx, data));
          assert.ok(within(counterKey(ks), counterBounds()));
          assert.ok(!within(idx, counterBounds()));
          assert.equal(decodeCounterKey(counterKey(ks)), ks);
        },
      ),
    );
  });

  it("orders the expiry index by (keyspace, time) and round-trips it", () => {
    fc.assert(
      fc.property(
        arbKs,
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        arbKey,
        arbKey,
        (ks, t1, t2, k1, k2) => {
          const d1 = encodeDataKey(ks, "hash", k1);
          const a = expiryIndexKey(ks, t1, d1);
          const b = expiryIndexKey(ks, t2, encodeDataKey(ks, "hash", k2));
          if (t1 !== t2) assert.equal(sign(compareBytes(a, b)), sign(t1 - t2));
          const dec = decodeExpiryIndexKey(a);
          assert.deepEqual([dec.ks, dec.expiresAtMs, [...dec.dataKey]], [ks, t1, [...d1]]);
          assert.ok(within(a, expiryIndexBounds(ks, t1, t1 + 1)));
          assert.ok(!within(a, expiryIndexBounds(ks, 0, t1)));
          assert.ok(within(a, expiryIndexBounds(undefined)));
        },
      ),
    );
  });

  it("adds at most INTERNAL_KEY_OVERHEAD_BYTES_MAX bytes to a user key", () => {
    const key = Uint8Array.of(1, 2, 3);
    const data = encodeDataKey(keyspaceId(0xffff_ffff), "hash", key);
    const index = expiryIndexKey(keyspaceId(0xffff_ffff), Number.MAX_SAFE_INTEGER, data);
    assert.equal(index.length - key.length, INTERNAL_KEY_OVERHEAD_BYTES_MAX);
  });

  it("encodes the slot big-endian right after the keyspace", () => {
    const k = encodeHashKey(keyspaceId(1), 0x1234, Uint8Array.of(0x61));
    assert.deepEqual([...k], [0x01, 0, 0, 0, 1, 0x12, 0x34, 0x61]);
  });

  it("rejects a malformed data key as corruption", () => {
    assert.throws(() => decodeDataKey(Uint8Array.of(0x01, 0, 0)), { code: "CORRUPTION" });
    assert.throws(() => decodeDataKey(Uint8Array.of(0x00, 1, 2, 3, 4, 5)), { code: "CORRUPTION" });
    assert.throws(() => decodeDataKey(Uint8Array.of(0x01, 0, 0, 0, 0, 0xff, 0xff)), {
      code: "CORRUPTION",
    });
  });
});
