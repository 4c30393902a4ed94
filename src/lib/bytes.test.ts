/**
 * Tests of the byte-string helpers the encodings rely on.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  compareBytes,
  concatBytes,
  equalBytes,
  fromLatin1,
  hasPrefix,
  keySuccessor,
  latin1,
  prefixEnd,
} from "./bytes.js";

describe("byte strings", () => {
  it("compares like memcmp, shorter first on a common prefix", () => {
    assert.ok(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3)) < 0);
    assert.ok(compareBytes(Uint8Array.of(1), Uint8Array.of(1, 0)) < 0);
    assert.ok(compareBytes(Uint8Array.of(0xff), Uint8Array.of(0x01, 0xff)) > 0);
    assert.ok(equalBytes(Uint8Array.of(4, 5), Uint8Array.of(4, 5)));
  });

  it("puts the successor right after a key and the prefix end after every extension", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6 }), fc.uint8Array({ maxLength: 4 }), (key, ext) => {
        assert.ok(compareBytes(key, keySuccessor(key)) < 0);
        const extended = concatBytes(key, ext);
        assert.ok(hasPrefix(extended, key));
        const end = prefixEnd(key);
        if (end === undefined) assert.ok(key.every((b) => b === 0xff));
        else assert.ok(compareBytes(extended, end) < 0);
      }),
    );
    assert.deepEqual(prefixEnd(Uint8Array.of(1, 0xff)), Uint8Array.of(2));
  });

  it("round-trips Latin-1", () => {
    const b = Uint8Array.of(0, 0x41, 0xe9, 0xff);
    assert.deepEqual(fromLatin1(latin1(b)), b);
  });
});
