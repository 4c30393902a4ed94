/**
 * Tests of Redis's number parsing and formatting (string2ll, string2ld,
 * ld2string LD_STR_HUMAN).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  addLongDoubles,
  asciiBytes,
  formatLongDouble,
  INT64_MAX,
  INT64_MIN,
  parseInt64,
  parseLongDouble,
} from "./numbers.js";

const int = (s: string): bigint | undefined => parseInt64(asciiBytes(s));
const ld = (s: string): number | undefined => parseLongDouble(asciiBytes(s));

describe("parseInt64 (string2ll)", () => {
  it("accepts canonical signed 64-bit integers", () => {
    assert.equal(int("0"), 0n);
    assert.equal(int("-1"), -1n);
    assert.equal(int("9223372036854775807"), INT64_MAX);
    assert.equal(int("-9223372036854775808"), INT64_MIN);
  });

  it("refuses what string2ll refuses", () => {
    for (const s of [
      "",
      "-",
      "+1",
      " 1",
      "1 ",
      "01",
      "-0",
      "00",
      "1.0",
      "1e3",
      "9223372036854775808",
      "-9223372036854775809",
      "0x10",
      "١",
    ]) {
      assert.equal(int(s), undefined, s);
    }
  });

  it("round-trips every int64 through its decimal text", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), (v) =>
        assert.equal(int(v.toString()), v),
      ),
    );
  });
});

describe("parseLongDouble (string2ld)", () => {
  it("accepts strtold syntax", () => {
    assert.equal(ld("10.5"), 10.5);
    assert.equal(ld("3.0e3"), 3000);
    assert.equal(ld("+.5"), 0.5);
    assert.equal(ld("5."), 5);
    assert.equal(ld("-1E-2"), -0.01);
    assert.equal(ld("0x10"), 16);
    assert.equal(ld("0x1p4"), 16);
    assert.equal(ld("0x.8"), 0.5);
    assert.equal(ld("inf"), Number.POSITIVE_INFINITY);
    assert.equal(ld("-Infinity"), Number.NEGATIVE_INFINITY);
  });

  it("refuses spaces, garbage, NaN and out-of-range values", () => {
    for (const s of ["", " 1", "1 ", "1a", "nan", "NaN", "e5", ".", "1e", "--1", "1e400", "0x"]) {
      assert.equal(ld(s), undefined, s);
    }
  });
});

describe("formatLongDouble (ld2string LD_STR_HUMAN)", () => {
  it("writes what Redis's INCRBYFLOAT replies", () => {
    assert.equal(formatLongDouble(10.5), "10.5");
    assert.equal(formatLongDouble(3000), "3000");
    assert.equal(formatLongDouble(10.1 + 0.1), "10.2");
    assert.equal(formatLongDouble(5.0e3), "5000");
    assert.equal(formatLongDouble(-0.5), "-0.5");
    assert.equal(formatLongDouble(-0), "0");
    assert.equal(formatLongDouble(1e21), "1000000000000000000000");
    assert.equal(formatLongDouble(1.5e-7), "0.00000015");
    assert.equal(formatLongDouble(1e-18), "0");
    assert.equal(formatLongDouble(-1e-18), "0");
    assert.equal(formatLongDouble(1.23456789e-10), "0.00000000012345679");
  });

  it("adds in decimal, as Redis's long doubles show sums", () => {
    assert.equal(addLongDoubles(0.1, 0.2), "0.3");
    assert.equal(addLongDoubles(10.5, 0.1), "10.6");
    assert.equal(addLongDoubles(10.6, -5), "5.6");
    assert.equal(addLongDoubles(5000, 200), "5200");
    assert.equal(addLongDoubles(1.1, 2.2), "3.3");
    assert.equal(addLongDoubles(-0.1, 0.1), "0");
    assert.equal(addLongDoubles(1e308, 1e308), undefined);
    assert.equal(addLongDoubles(Number.POSITIVE_INFINITY, 1), undefined);
    assert.equal(addLongDoubles(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY), undefined);
  });

  it("reads back as the same double whenever no digit was rounded away", () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }),
        (x) => {
          const text = formatLongDouble(x);
          const back = ld(text);
          assert.ok(back !== undefined);
          // From 1 up, 17 significant digits never reach the 17th decimal.
          if (Math.abs(x) >= 1 || x === 0) assert.equal(back, x === 0 ? 0 : x);
        },
      ),
    );
  });
});
