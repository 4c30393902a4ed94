import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeCommand, ReplyReader, RespError, type RespValue } from "./resp.js";

function readAll(chunks: string[]): RespValue[] {
  const out: RespValue[] = [];
  const reader = new ReplyReader((value) => out.push(value));
  for (const chunk of chunks) reader.feed(Buffer.from(chunk));
  return out;
}

describe("RESP codec", () => {
  it("encodes a command as an array of bulk strings", () => {
    assert.equal(
      encodeCommand(["SET", "k", "vv"]).toString(),
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nvv\r\n",
    );
  });

  it("reads every reply type of RESP2", () => {
    const out = readAll(["+OK\r\n-ERR bad\r\n:42\r\n$3\r\nabc\r\n$-1\r\n*2\r\n:1\r\n$1\r\nx\r\n"]);
    assert.equal(out[0], "OK");
    assert.ok(out[1] instanceof RespError && out[1].message === "ERR bad");
    assert.equal(out[2], 42);
    assert.equal((out[3] as Buffer).toString(), "abc");
    assert.equal(out[4], null);
    assert.deepEqual(
      (out[5] as RespValue[]).map((v) => (Buffer.isBuffer(v) ? v.toString() : v)),
      [1, "x"],
    );
  });

  it("waits for the rest of a reply split across chunks, at any byte", () => {
    const whole = "$5\r\nhello\r\n*2\r\n+a\r\n-MOVED 1 127.0.0.1:1\r\n";
    for (let cut = 1; cut < whole.length; cut++) {
      const out = readAll([whole.slice(0, cut), whole.slice(cut)]);
      assert.equal(out.length, 2, `cut at ${cut}`);
      assert.equal((out[0] as Buffer).toString(), "hello");
    }
  });
});
