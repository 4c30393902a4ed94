import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isTesseraError } from "../../lib/index.js";
import { DEFAULT_RESP_LIMITS } from "./options.js";
import { type ParserLimits, parseStrictInteger, RequestParser } from "./parser.js";

function parseAll(input: string | Buffer, limits: ParserLimits = DEFAULT_RESP_LIMITS): string[][] {
  const p = new RequestParser(limits);
  p.push(typeof input === "string" ? Buffer.from(input, "latin1") : input);
  const out: string[][] = [];
  for (let r = p.next(); r !== undefined; r = p.next())
    out.push(r.args.map((a) => a.toString("latin1")));
  return out;
}

/** The protocol error message a stream produces, or undefined if it parses. */
function protocolError(
  input: string,
  limits: ParserLimits = DEFAULT_RESP_LIMITS,
  authenticated = true,
): string | undefined {
  const p = new RequestParser(limits);
  p.authenticated = authenticated;
  try {
    p.push(Buffer.from(input, "latin1"));
    while (p.next() !== undefined);
    return undefined;
  } catch (e) {
    assert.ok(isTesseraError(e), `unexpected exception ${String(e)}`);
    return `${e.code}: ${e.message}`;
  }
}

const encode = (args: readonly string[]): string =>
  `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a, "latin1")}\r\n${a}\r\n`).join("")}`;

describe("RequestParser", () => {
  it("parses a multibulk request", () => {
    assert.deepEqual(parseAll("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"), [["SET", "k", "v"]]);
  });

  it("parses many pipelined requests from one chunk, in order", () => {
    const stream = `${encode(["SET", "a", "1"])}${encode(["GET", "a"])}PING\r\n`;
    assert.deepEqual(parseAll(stream), [["SET", "a", "1"], ["GET", "a"], ["PING"]]);
  });

  it("keeps binary bytes, CRLF and NUL included, intact", () => {
    const value = Buffer.from([0, 13, 10, 255, 42]);
    const p = new RequestParser(DEFAULT_RESP_LIMITS);
    p.push(Buffer.concat([Buffer.from("*2\r\n$3\r\nGET\r\n$5\r\n"), value, Buffer.from("\r\n")]));
    assert.deepEqual(p.next()?.args[1], value);
  });

  it("skips empty multibulks (*0, *-1) and blank inline lines", () => {
    assert.deepEqual(parseAll("*0\r\n*-1\r\n\r\n\n  \r\nPING\r\n"), [["PING"]]);
  });

  it("accepts an empty bulk", () => {
    assert.deepEqual(parseAll("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"), [["ECHO", ""]]);
  });

  it("splits inline commands with quotes, and accepts LF-only line ends", () => {
    assert.deepEqual(parseAll("SET \"a b\" 'c d'\nGET x\r\n"), [
      ["SET", "a b", "c d"],
      ["GET", "x"],
    ]);
  });

  it("waits for more bytes instead of failing on a partial request", () => {
    const p = new RequestParser(DEFAULT_RESP_LIMITS);
    p.push(Buffer.from("*2\r\n$3\r\nGET\r\n$5\r\nhel"));
    assert.equal(p.next(), undefined);
    p.push(Buffer.from("lo\r"));
    assert.equal(p.next(), undefined);
    p.push(Buffer.from("\n"));
    assert.deepEqual(p.next()?.args.map(String), ["GET", "hello"]);
  });

  it("reads a large bulk arriving in many chunks into one buffer", () => {
    const big = Buffer.alloc(200_000, 0x61);
    const stream = Buffer.concat([
      Buffer.from(`*2\r\n$3\r\nSET\r\n$${big.length}\r\n`),
      big,
      Buffer.from("\r\n"),
    ]);
    const p = new RequestParser(DEFAULT_RESP_LIMITS);
    for (let i = 0; i < stream.length; i += 7001) p.push(stream.subarray(i, i + 7001));
    const r = p.next();
    assert.equal(r?.args[1]?.length, big.length);
    assert.ok(r?.args[1]?.equals(big));
  });

  describe("protocol errors (Redis's texts)", () => {
    const cases: [string, string][] = [
      ["*x\r\n", "invalid multibulk length"],
      ["*01\r\n", "invalid multibulk length"],
      ["*3000000000\r\n", "invalid multibulk length"],
      ["*1\r\n$x\r\n", "invalid bulk length"],
      ["*1\r\n$-1\r\n", "invalid bulk length"],
      ["*2\r\n$3\r\nGET\r\nx\r\n", "expected '$', got 'x'"],
      ['SET "a b\r\n', "unbalanced quotes in request"],
      ["SET 'a'b\r\n", "unbalanced quotes in request"],
    ];
    for (const [input, message] of cases) {
      it(`answers ${JSON.stringify(input)} with "${message}"`, () => {
        assert.equal(protocolError(input), `PROTOCOL: ${message}`);
      });
    }

    it("refuses a multibulk longer than respArrayLengthMax", () => {
      const limits = { ...DEFAULT_RESP_LIMITS, respArrayLengthMax: 4 };
      assert.equal(protocolError("*5\r\n", limits), "PROTOCOL: invalid multibulk length");
      assert.equal(protocolError(encode(["a", "b", "c", "d"]), limits), undefined);
    });

    it("refuses a bulk longer than respBulkBytesMax", () => {
      const limits = { ...DEFAULT_RESP_LIMITS, respBulkBytesMax: 10 };
      assert.equal(protocolError("*1\r\n$11\r\n", limits), "PROTOCOL: invalid bulk length");
      assert.equal(protocolError("*1\r\n$10\r\n0123456789\r\n", limits), undefined);
    });

    it("refuses inline lines and length headers longer than respInlineBytesMax", () => {
      const limits = { ...DEFAULT_RESP_LIMITS, respInlineBytesMax: 16 };
      assert.equal(protocolError("x".repeat(17), limits), "PROTOCOL: too big inline request");
      assert.equal(
        protocolError(`${"x".repeat(17)}\r\n`, limits),
        "PROTOCOL: too big inline request",
      );
      assert.equal(
        protocolError(`*${"1".repeat(17)}`, limits),
        "PROTOCOL: too big mbulk count string",
      );
      assert.equal(
        protocolError(`*1\r\n$${"1".repeat(17)}`, limits),
        "PROTOCOL: too big bulk count string",
      );
    });

    it("caps requests of a client that has not authenticated, as Redis does", () => {
      assert.equal(
        protocolError("*11\r\n", DEFAULT_RESP_LIMITS, false),
        "PROTOCOL: unauthenticated multibulk length",
      );
      assert.equal(
        protocolError("*1\r\n$16385\r\n", DEFAULT_RESP_LIMITS, false),
        "PROTOCOL: unauthenticated bulk length",
      );
      assert.equal(protocolError(encode(["AUTH", "pw"]), DEFAULT_RESP_LIMITS, false), undefined);
    });

    it("fails with LIMIT_EXCEEDED when one request holds more than queryBufferBytesMax", () => {
      const limits = { ...DEFAULT_RESP_LIMITS, queryBufferBytesMax: 1000 };
      const p = new RequestParser(limits);
      p.push(Buffer.from("*2\r\n$3\r\nSET\r\n$5000\r\n"));
      assert.equal(p.next(), undefined);
      assert.throws(
        () => p.push(Buffer.alloc(1200, 0x61)),
        (e) => isTesseraError(e, "LIMIT_EXCEEDED"),
      );
    });

    it("stays dead after an error", () => {
      const p = new RequestParser(DEFAULT_RESP_LIMITS);
      p.push(Buffer.from("*x\r\nPING\r\n"));
      assert.throws(() => p.next());
      assert.equal(p.next(), undefined);
    });
  });

  describe("parseStrictInteger (Redis string2ll)", () => {
    const ok: [string, number][] = [
      ["0", 0],
      ["-1", -1],
      ["12345", 12345],
      ["9007199254740991", 9007199254740991],
    ];
    for (const [text, value] of ok) {
      it(`reads ${text}`, () =>
        assert.equal(parseStrictInteger(Buffer.from(text), 0, text.length), value));
    }
    for (const text of [
      "",
      "-",
      "+1",
      "01",
      "-0",
      " 1",
      "1 ",
      "1a",
      "0x1",
      "99999999999999999999",
    ]) {
      it(`refuses ${JSON.stringify(text)}`, () =>
        assert.equal(parseStrictInteger(Buffer.from(text), 0, text.length), undefined));
    }
  });

  describe("properties", () => {
    const arg = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a).toString("latin1"));
    const command = fc.array(arg, { minLength: 1, maxLength: 6 });

    it("parses a stream to the same commands however it is split into chunks", () => {
      fc.assert(
        fc.property(
          fc.array(command, { minLength: 1, maxLength: 10 }),
          fc.array(fc.nat(), { maxLength: 20 }),
          (cmds, cuts) => {
            const stream = Buffer.from(cmds.map(encode).join(""), "latin1");
            const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort(
              (a, b) => a - b,
            );
            const p = new RequestParser(DEFAULT_RESP_LIMITS);
            const got: string[][] = [];
            let from = 0;
            for (const at of [...points, stream.length]) {
              p.push(stream.subarray(from, at));
              from = at;
              for (let r = p.next(); r !== undefined; r = p.next())
                got.push(r.args.map((a) => a.toString("latin1")));
            }
            assert.deepEqual(got, cmds);
          },
        ),
      );
    });

    it("parses big bulks (past the 32 KiB threshold) however they are split", () => {
      const value = Buffer.alloc(40_000);
      for (let i = 0; i < value.length; i++) value[i] = (i * 31) & 0xff;
      const stream = Buffer.concat([
        Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${value.length}\r\n`),
        value,
        Buffer.from("\r\n*1\r\n$4\r\nPING\r\n"),
      ]);
      fc.assert(
        fc.property(fc.array(fc.nat({ max: stream.length }), { maxLength: 12 }), (cuts) => {
          const points = [...new Set(cuts)].sort((a, b) => a - b);
          const p = new RequestParser(DEFAULT_RESP_LIMITS);
          const got: Buffer[][] = [];
          let from = 0;
          for (const at of [...points, stream.length]) {
            p.push(stream.subarray(from, at));
            from = at;
            for (let r = p.next(); r !== undefined; r = p.next()) got.push(r.args);
          }
          assert.equal(got.length, 2);
          assert.ok(got[0]?.[2]?.equals(value));
          assert.equal(got[1]?.[0]?.toString(), "PING");
        }),
        { numRuns: 300 },
      );
    });

    it("answers random bytes with commands, a protocol error or a wait, never another exception", () => {
      const limits = {
        ...DEFAULT_RESP_LIMITS,
        respInlineBytesMax: 64,
        respBulkBytesMax: 64,
        respArrayLengthMax: 8,
      };
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
          const p = new RequestParser(limits);
          try {
            for (const c of chunks) {
              p.push(Buffer.from(c));
              for (let n = 0; n < 1000 && p.next() !== undefined; n++);
            }
          } catch (e) {
            assert.ok(
              isTesseraError(e, "PROTOCOL") || isTesseraError(e, "LIMIT_EXCEEDED"),
              String(e),
            );
          }
        }),
        { numRuns: 2000 },
      );
    });

    it("answers garbage that looks like RESP the same way", () => {
      const piece = fc.oneof(
        fc.constantFrom(
          "*",
          "$",
          "\r\n",
          "\r",
          "\n",
          "-1",
          "0",
          "2",
          "3",
          "x",
          '"',
          "'",
          " ",
          "\\x4",
        ),
        fc.stringMatching(/^[*$][0-9-]{0,4}\r\n$/),
      );
      fc.assert(
        fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
          const result = protocolError(pieces.join(""));
          assert.ok(result === undefined || result.startsWith("PROTOCOL: "), result);
        }),
        { numRuns: 2000 },
      );
    });
  });
});
