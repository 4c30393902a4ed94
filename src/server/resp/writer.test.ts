import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  arrayReply,
  boolReply,
  bulkReply,
  doubleReply,
  errorReply,
  integer,
  mapReply,
  R_NULL,
  R_NULL_ARRAY,
  R_OK,
  type Reply,
  setReply,
  verbatim,
} from "./reply.js";
import { encodeReply, ReplyWriter } from "./writer.js";

const enc = (r: Reply, proto: 2 | 3) => encodeReply(r, proto).toString("latin1");

describe("ReplyWriter", () => {
  const both: [string, Reply, string][] = [
    ["a simple string", R_OK, "+OK\r\n"],
    ["an error", errorReply("ERR syntax error"), "-ERR syntax error\r\n"],
    ["an integer", integer(-42), ":-42\r\n"],
    ["a 64-bit integer", integer(9223372036854775807n), ":9223372036854775807\r\n"],
    ["a bulk string", bulkReply("héllo"), "$6\r\nhéllo\r\n".replace("é", "\xc3\xa9")],
    ["an empty bulk", bulkReply(new Uint8Array(0)), "$0\r\n\r\n"],
    ["an array", arrayReply([integer(1), bulkReply("a")]), "*2\r\n:1\r\n$1\r\na\r\n"],
  ];
  for (const [what, reply, wire] of both) {
    it(`writes ${what} the same in RESP2 and RESP3`, () => {
      assert.equal(enc(reply, 2), wire);
      assert.equal(enc(reply, 3), wire);
    });
  }

  const shapes: [string, Reply, string, string][] = [
    ["null", R_NULL, "$-1\r\n", "_\r\n"],
    ["a null array", R_NULL_ARRAY, "*-1\r\n", "_\r\n"],
    [
      "a map",
      mapReply([[bulkReply("a"), integer(1)]]),
      "*2\r\n$1\r\na\r\n:1\r\n",
      "%1\r\n$1\r\na\r\n:1\r\n",
    ],
    ["a set", setReply([integer(1)]), "*1\r\n:1\r\n", "~1\r\n:1\r\n"],
    ["a double", doubleReply(1.5), "$3\r\n1.5\r\n", ",1.5\r\n"],
    ["infinity", doubleReply(Number.POSITIVE_INFINITY), "$3\r\ninf\r\n", ",inf\r\n"],
    ["true", boolReply(true), ":1\r\n", "#t\r\n"],
    ["false", boolReply(false), ":0\r\n", "#f\r\n"],
    ["a verbatim string", verbatim("hi"), "$2\r\nhi\r\n", "=6\r\ntxt:hi\r\n"],
  ];
  for (const [what, reply, resp2, resp3] of shapes) {
    it(`writes ${what} as RESP2 and RESP3 want it`, () => {
      assert.equal(enc(reply, 2), resp2);
      assert.equal(enc(reply, 3), resp3);
    });
  }

  it("keeps binary bulks byte for byte", () => {
    const bytes = new Uint8Array([0, 255, 13, 10, 128]);
    const out = encodeReply(bulkReply(bytes), 2);
    assert.deepEqual([...out], [...Buffer.from("$5\r\n"), ...bytes, ...Buffer.from("\r\n")]);
  });

  it("batches many replies into one buffer", () => {
    const w = new ReplyWriter();
    for (let i = 0; i < 1000; i++) w.write(integer(i), 2);
    w.write(bulkReply(new Uint8Array([1, 2])), 2);
    w.write(R_OK, 2);
    const out = w.take().toString("latin1");
    assert.ok(out.startsWith(":0\r\n:1\r\n"));
    assert.ok(out.endsWith(":999\r\n$2\r\n\x01\x02\r\n+OK\r\n"));
    assert.equal(w.take().length, 0);
  });
});
