/**
 * Tests of the value record format and its corruption checks.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  decodeRecord,
  encodeRecord,
  isExpired,
  RECORD_HEADER_BYTES,
  VALUE_TYPES,
} from "./record.js";

describe("value records", () => {
  it("round-trips every header field and the payload", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...VALUE_TYPES),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.uint8Array({ maxLength: 64 }),
        (type, expiresAtMs, version, payload) => {
          const bytes = encodeRecord({ type, flags: 0, expiresAtMs, version, payload });
          assert.equal(bytes.length, RECORD_HEADER_BYTES + payload.length);
          const r = decodeRecord(bytes);
          assert.deepEqual(
            { ...r, payload: [...r.payload] },
            { type, flags: 0, expiresAtMs, version, payload: [...payload] },
          );
        },
      ),
    );
  });

  it("decodes from a view at an offset inside a larger buffer", () => {
    const bytes = encodeRecord({
      type: "string",
      flags: 0,
      expiresAtMs: 5,
      version: 7n,
      payload: Uint8Array.of(1, 2),
    });
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    const r = decodeRecord(big.subarray(3));
    assert.equal(r.expiresAtMs, 5);
    assert.equal(r.version, 7n);
    assert.deepEqual([...r.payload], [1, 2]);
  });

  it("refuses a corrupt header with CORRUPTION", () => {
    const good = encodeRecord({
      type: "string",
      flags: 0,
      expiresAtMs: 0,
      version: 1n,
      payload: new Uint8Array(0),
    });
    const mutate = (i: number, v: number): Uint8Array => {
      const b = good.slice();
      b[i] = v;
      return b;
    };
    for (const bad of [
      good.subarray(0, 19),
      mutate(0, 2),
      mutate(1, 9),
      mutate(2, 1),
      mutate(3, 1),
      mutate(4, 0xff),
    ]) {
      assert.throws(() => decodeRecord(bad), { name: "TesseraError", code: "CORRUPTION" });
    }
  });

  it("counts a key as expired from its expiry time on, and never without one", () => {
    assert.equal(isExpired({ expiresAtMs: 0 }, Number.MAX_SAFE_INTEGER), false);
    assert.equal(isExpired({ expiresAtMs: 100 }, 99), false);
    assert.equal(isExpired({ expiresAtMs: 100 }, 100), true);
  });
});
