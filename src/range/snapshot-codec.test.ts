/**
 * Snapshot streams: chunks of at most the chunk bound, each with its
 * CRC-32C, and a CRC-32C of the whole; damage in a chunk or a chunk out of
 * place is CORRUPTION.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTesseraError } from "../lib/index.js";
import { checkChunk, decodeSnapshot, encodeSnapshot } from "./snapshot-codec.js";

const bytes = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * seed) & 0xff);
const entries = Array.from({ length: 50 }, (_, i) => ({
  key: bytes(10 + i, i + 1),
  value: bytes(300 + i * 7, i + 3),
}));

describe("snapshot chunks", () => {
  it("round-trips a span through chunks no larger than the bound", () => {
    const enc = encodeSnapshot(entries, 1000);
    assert.ok(enc.chunks.length > 10);
    for (const c of enc.chunks) {
      assert.ok(c.data.byteLength <= 1000);
      checkChunk(c);
    }
    const back = decodeSnapshot(
      enc.chunks.map((c) => c.data),
      enc.crc,
    );
    assert.deepEqual(back, entries);
  });

  it("encodes an empty span as no chunks", () => {
    const enc = encodeSnapshot([]);
    assert.equal(enc.chunks.length, 0);
    assert.deepEqual(decodeSnapshot([], enc.crc), []);
  });

  it("refuses a damaged chunk and a stream whose chunks were swapped", () => {
    const enc = encodeSnapshot(entries, 1000);
    const damaged = enc.chunks[3]!.data.slice();
    damaged[17]! ^= 1;
    assert.throws(
      () => checkChunk({ data: damaged, crc: enc.chunks[3]!.crc }),
      (e) => isTesseraError(e, "CORRUPTION"),
    );
    const swapped = enc.chunks.map((c) => c.data);
    [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
    assert.throws(
      () => decodeSnapshot(swapped, enc.crc),
      (e) => isTesseraError(e, "CORRUPTION"),
    );
  });
});
