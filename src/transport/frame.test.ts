import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTesseraError } from "../lib/index.js";
import { encodeFrame, FrameDecoder, FrameKind, frameHeader } from "./frame.js";

function collect(decoder: FrameDecoder, chunks: Buffer[]): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  for (const c of chunks)
    decoder.push(c, (kind, payload) => out.push([kind, Buffer.from(payload)]));
  return out;
}

describe("frame", () => {
  it("decodes frames whatever the chunk boundaries", () => {
    const frames = [
      encodeFrame(FrameKind.raft, Buffer.from("hello raft")),
      encodeFrame(FrameKind.ping, Buffer.alloc(0)),
      encodeFrame(FrameKind.call, Buffer.alloc(1000, 7)),
    ];
    const all = Buffer.concat(frames);
    for (const size of [1, 2, 3, 5, 7, 64, all.length]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < all.length; i += size) chunks.push(all.subarray(i, i + size));
      const got = collect(new FrameDecoder(1 << 20), chunks);
      assert.deepEqual(
        got.map(([k, p]) => [k, p.toString("hex")]),
        [
          [FrameKind.raft, Buffer.from("hello raft").toString("hex")],
          [FrameKind.ping, ""],
          [FrameKind.call, Buffer.alloc(1000, 7).toString("hex")],
        ],
        `chunk size ${size}`,
      );
    }
  });

  it("hands out a frame that lies within one chunk as a view, not a copy", () => {
    const chunk = encodeFrame(FrameKind.raft, Buffer.from("abc"));
    let payload: Buffer | undefined;
    new FrameDecoder(1024).push(chunk, (_k, p) => {
      payload = p;
    });
    assert.equal(payload?.buffer, chunk.buffer);
  });

  it("refuses a frame larger than the limit before reading its payload", () => {
    const decoder = new FrameDecoder(100);
    assert.throws(
      () => decoder.push(frameHeader(FrameKind.raft, 101), () => {}),
      (e) => isTesseraError(e, "PROTOCOL"),
    );
  });

  it("refuses a zero length and an unknown kind", () => {
    const zero = Buffer.from([0, 0, 0, 0, 4]);
    assert.throws(
      () => new FrameDecoder(100).push(zero, () => {}),
      (e) => isTesseraError(e, "PROTOCOL"),
    );
    const unknown = Buffer.from([0, 0, 0, 1, 99]);
    assert.throws(
      () => new FrameDecoder(100).push(unknown, () => {}),
      (e) => isTesseraError(e, "PROTOCOL"),
    );
  });
});
