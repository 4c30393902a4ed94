/**
 * Snapshot streams: chunks of at most the chunk bound, each with its
 * CRC-32C, and a CRC-32C of the whole; damage in a chunk or a chunk out of
 * place is CORRUPTION.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTesseraError } from "../lib/index.js";
import {
  checkChunk,
  decodeSnapshot,
  encodeSnapshot,
  encodeSnapshotChunks,
  newSnapshotCount,
  SnapshotDecoder,
} from "./snapshot-codec.js";

const bytes = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * seed) & 0xff);
const entries = Array.from({ length: 50 }, (_, i) => ({
  key: bytes(10 + i, i + 1),
  value: bytes(300 + i * 7, i + 3),
}));

describe("snapshot chunks", () => {
  it("round-trips a span through chunks no larger than the bound", () => {
    const enc = encodeSnapshot(entries, 1000);
    assert.ok(enc.chunkList.length > 10);
    for (const c of enc.chunkList) {
      assert.ok(c.data.byteLength <= 1000);
      checkChunk(c);
    }
    const back = decodeSnapshot(
      enc.chunkList.map((c) => c.data),
      enc.crc,
    );
    assert.deepEqual(back, entries);
  });

  it("encodes an empty span as no chunks", () => {
    const enc = encodeSnapshot([]);
    assert.equal(enc.chunkList.length, 0);
    assert.deepEqual(decodeSnapshot([], enc.crc), []);
  });

  it("refuses a damaged chunk and a stream whose chunks were swapped", () => {
    const enc = encodeSnapshot(entries, 1000);
    const damaged = enc.chunkList[3]!.data.slice();
    damaged[17]! ^= 1;
    assert.throws(
      () => checkChunk({ data: damaged, crc: enc.chunkList[3]!.crc }),
      (e) => isTesseraError(e, "CORRUPTION"),
    );
    const swapped = enc.chunkList.map((c) => c.data);
    [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
    assert.throws(
      () => decodeSnapshot(swapped, enc.crc),
      (e) => isTesseraError(e, "CORRUPTION"),
    );
  });
});

describe("snapshot streams", () => {
  it("pulls entries only as chunks fill, and splits an entry larger than a chunk", () => {
    let pulled = 0;
    const big = { key: bytes(5, 7), value: bytes(5000, 9) };
    function* source() {
      for (const e of [...entries.slice(0, 3), big, ...entries.slice(3)]) {
        pulled++;
        yield e;
      }
    }
    const count = newSnapshotCount();
    const gen = encodeSnapshotChunks(source(), count, 1000);
    const first = gen.next();
    assert.equal(first.done, false);
    assert.ok(pulled < 10, `the first chunk pulled ${pulled} entries`);
    const chunks: Uint8Array[] = [(first.value as { data: Uint8Array }).data];
    for (const c of gen) {
      assert.ok(c.data.byteLength <= 1000);
      chunks.push(c.data);
    }
    assert.equal(count.chunks, chunks.length);
    assert.equal(count.keys, entries.length + 1);
    // Decoded a piece at a time, cut anywhere: the same entries.
    const d = new SnapshotDecoder();
    const out = [];
    const stream = new Uint8Array(Buffer.concat(chunks));
    for (let at = 0; at < stream.length; at += 333)
      out.push(...d.push(stream.subarray(at, at + 333)));
    d.end(count.crc);
    assert.deepEqual(out, [...entries.slice(0, 3), big, ...entries.slice(3)]);
  });

  it("stops pulling entries when the consumer leaves early", () => {
    let finished = false;
    function* source() {
      try {
        for (const e of entries) yield e;
      } finally {
        finished = true;
      }
    }
    for (const _ of encodeSnapshotChunks(source(), newSnapshotCount(), 1000)) break;
    assert.ok(finished, "the source was closed");
  });

  it("refuses a stream cut inside an entry, and a length past the entry bound", () => {
    const enc = encodeSnapshot(entries, 1000);
    const d = new SnapshotDecoder();
    d.push(enc.chunkList[0]!.data);
    assert.throws(
      () => d.end(enc.crc),
      (e) => isTesseraError(e, "CORRUPTION"),
    );
    const huge = new Uint8Array(12);
    new DataView(huge.buffer).setUint32(0, 2);
    new DataView(huge.buffer).setUint32(6, 0xffff_fff0);
    assert.throws(
      () => new SnapshotDecoder().push(huge),
      (e) => isTesseraError(e, "CORRUPTION"),
    );
  });
});
