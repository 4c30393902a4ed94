import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import type { Redis } from "ioredis";
import { Clients, sleep } from "./testing/clients.js";
import { rawExchange } from "./testing/raw.js";

/** For exchanges the server ends by closing: wait for the close. */
const CLOSES = { expectClose: () => true };

import { startTestServer, type TestServer } from "./testing/start.js";

const encode = (args: readonly (string | Buffer)[]): Buffer =>
  Buffer.concat([
    Buffer.from(`*${args.length}\r\n`),
    ...args.flatMap((a) => {
      const b = typeof a === "string" ? Buffer.from(a) : a;
      return [Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n")];
    }),
  ]);

const isProtocolError = (text: string) => text.includes("Protocol error");

describe("the wire protocol against a live server", () => {
  let t: TestServer;
  let clients: Clients;
  let r: Redis;

  before(async () => {
    t = await startTestServer({
      limits: { respBulkBytesMax: 1024 * 1024, queryBufferBytesMax: 4 * 1024 * 1024 },
    });
    clients = new Clients(t.port);
    r = clients.connect();
  });
  after(async () => {
    clients.closeAll();
    await t.stop();
  });

  it("serves inline commands, as typed over telnet", async () => {
    const res = await rawExchange(
      t.port,
      'SET greeting "hello world"\r\nGET greeting\nEXISTS greeting nope\r\n',
    );
    assert.equal(res.text, "+OK\r\n$11\r\nhello world\r\n:1\r\n");
  });

  const protocolErrors: [string, string][] = [
    ["*x\r\n", "-ERR Protocol error: invalid multibulk length\r\n"],
    ["*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length\r\n"],
    ["*2\r\n$3\r\nGET\r\nx\r\n", "-ERR Protocol error: expected '$', got 'x'\r\n"],
    ['SET "a b\r\n', "-ERR Protocol error: unbalanced quotes in request\r\n"],
    ["*1\r\n$2000000\r\n", "-ERR Protocol error: invalid bulk length\r\n"],
  ];
  for (const [input, reply] of protocolErrors) {
    it(`answers ${JSON.stringify(input)} with Redis's error, then closes`, async () => {
      const res = await rawExchange(t.port, input, CLOSES);
      assert.equal(res.text, reply);
      assert.equal(res.closed, true);
    });
  }

  it("replies to the requests before a protocol error first", async () => {
    const res = await rawExchange(t.port, "PING\r\nSET pe 1\r\n*x\r\nPING\r\n", CLOSES);
    assert.equal(res.text, "+PONG\r\n+OK\r\n-ERR Protocol error: invalid multibulk length\r\n");
    assert.equal(res.closed, true);
  });

  it("closes a client whose unfinished request passes the query buffer limit", async () => {
    const res = await rawExchange(
      t.port,
      [Buffer.from("*2\r\n$3\r\nGET\r\n$1000000\r\n"), Buffer.alloc(900_000, 1)],
      {
        quietMs: 300,
      },
    );
    assert.equal(res.text, "");
    const big = await rawExchange(t.port, "x".repeat(70_000));
    assert.equal(big.text, "-ERR Protocol error: too big inline request\r\n");
  });

  it("pipelines 1000 commands and replies in order", async () => {
    const p = r.pipeline();
    for (let i = 0; i < 1000; i++) {
      p.set(`pl:${i}`, String(i));
      p.get(`pl:${i}`);
      p.incr("pl:counter");
    }
    const results = (await p.exec()) ?? [];
    assert.equal(results.length, 3000);
    for (let i = 0; i < 1000; i++) {
      assert.deepEqual(results[3 * i], [null, "OK"]);
      assert.deepEqual(results[3 * i + 1], [null, String(i)]);
      assert.deepEqual(results[3 * i + 2], [null, i + 1]);
    }
  });

  it("parses requests split at every byte", async () => {
    const stream = Buffer.concat([encode(["SET", "split", "v"]), encode(["GET", "split"])]);
    const chunks = [...stream].map((b) => Buffer.from([b]));
    const res = await rawExchange(t.port, chunks, { gapMs: 1 });
    assert.equal(res.text, "+OK\r\n$1\r\nv\r\n");
  });

  it("keeps binary keys and values exact through raw multibulk", async () => {
    const key = Buffer.from([0xff, 0x00, 0x0d, 0x0a]);
    const value = Buffer.from([0x00, 0x80, 0x0d, 0x0a, 0xfe]);
    const res = await rawExchange(
      t.port,
      Buffer.concat([encode(["SET", key, value]), encode(["GET", key])]),
    );
    assert.deepEqual(
      res.bytes,
      Buffer.concat([Buffer.from("+OK\r\n$5\r\n"), value, Buffer.from("\r\n")]),
    );
  });

  it("survives random garbage: each connection gets replies, an error and a close, or silence", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (bytes) => {
        const res = await rawExchange(t.port, Buffer.from(bytes), {
          quietMs: 30,
          expectClose: isProtocolError,
        });
        if (res.text.includes("Protocol error")) assert.equal(res.closed, true);
      }),
      { numRuns: 150 },
    );
    assert.equal(await r.ping(), "PONG");
  });

  it("survives RESP-shaped garbage the same way", async () => {
    const piece = fc.constantFrom(
      "*",
      "$",
      "\r\n",
      "2",
      "-1",
      "3",
      "GET",
      "SET",
      "x",
      '"',
      " ",
      "*1\r\n$4\r\nPING\r\n",
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 25 }), async (pieces) => {
        const res = await rawExchange(t.port, pieces.join(""), {
          quietMs: 30,
          expectClose: isProtocolError,
        });
        if (res.text.includes("Protocol error")) assert.equal(res.closed, true);
      }),
      { numRuns: 150 },
    );
    assert.equal(await r.ping(), "PONG");
  });

  it("answers a TesseraError from the service as an error reply and keeps the connection", async () => {
    t.service.failNext("UNAVAILABLE", "no quorum for range 1");
    await assert.rejects(r.set("down", "1"), { message: "CLUSTERDOWN no quorum for range 1" });
    assert.equal(await r.set("down", "1"), "OK");
  });
});

describe("reply order under out-of-order completion", () => {
  let t: TestServer;
  let clients: Clients;

  before(async () => {
    t = await startTestServer({}, { jitterMs: 5 });
    clients = new Clients(t.port);
  });
  after(async () => {
    clients.closeAll();
    await t.stop();
  });

  it("replies in request order and reads see earlier writes of the pipeline", async () => {
    const r = clients.connect();
    const p = r.pipeline();
    for (let i = 0; i < 300; i++) {
      p.set("ord", String(i));
      p.get("ord");
      p.append("ord:log", `${i},`);
    }
    const results = (await p.exec()) ?? [];
    for (let i = 0; i < 300; i++) assert.deepEqual(results[3 * i + 1], [null, String(i)]);
    const log = (await r.get("ord:log")) ?? "";
    assert.equal(log, Array.from({ length: 300 }, (_, i) => `${i},`).join(""));
  });

  it("applies SELECT between pipelined commands in order", async () => {
    const r = clients.connect();
    const p = r.pipeline();
    p.set("dbk", "zero");
    p.select(1);
    p.set("dbk", "one");
    p.get("dbk");
    p.select(0);
    p.get("dbk");
    const results = (await p.exec()) ?? [];
    assert.deepEqual(
      results.map(([, v]) => v),
      ["OK", "OK", "OK", "one", "OK", "zero"],
    );
  });
});

describe("connection limits", () => {
  it("slows a deep pipeline down to pipelineDepthMax without losing or reordering replies", async () => {
    const t = await startTestServer({ limits: { pipelineDepthMax: 4 } }, { jitterMs: 2 });
    const clients = new Clients(t.port);
    try {
      const r = clients.connect();
      const p = r.pipeline();
      for (let i = 0; i < 500; i++) p.incr("depth");
      const results = (await p.exec()) ?? [];
      assert.deepEqual(
        results.map(([, v]: [unknown, unknown]) => v),
        Array.from({ length: 500 }, (_, i) => i + 1),
      );
    } finally {
      clients.closeAll();
      await t.stop();
    }
  });

  it("refuses clients beyond maxclients with Redis's error", async () => {
    const t = await startTestServer({ limits: { clientsMax: 2 } });
    const clients = new Clients(t.port);
    try {
      const a = clients.connect();
      const b = clients.connect();
      await Promise.all([a.ping(), b.ping()]);
      const res = await rawExchange(t.port, "PING\r\n", CLOSES);
      assert.equal(res.text, "-ERR max number of clients reached\r\n");
      assert.equal(res.closed, true);
      assert.equal(t.server.stats().rejectedConnectionsTotal, 1);
    } finally {
      clients.closeAll();
      await t.stop();
    }
  });

  it("closes clients idle longer than `timeout`", async () => {
    const t = await startTestServer({ idleTimeoutSec: 1 });
    try {
      const closed = await new Promise<boolean>((resolve) => {
        const s = connect(t.port, "127.0.0.1");
        s.on("close", () => resolve(true));
        setTimeout(() => resolve(false), 3000).unref();
      });
      assert.equal(closed, true);
    } finally {
      await t.stop();
    }
  });

  it("stop() lets clients take owed replies, then closes them", async () => {
    const t = await startTestServer({}, { jitterMs: 20 });
    const clients = new Clients(t.port);
    const r = clients.connect();
    await r.ping();
    const before = t.server.stats().commandsTotal;
    const pending = r.set("late", "1");
    // Stop only once the server holds the SET (its write is delayed by the jitter).
    while (t.server.stats().commandsTotal === before) await sleep(1);
    await t.stop();
    assert.equal(await pending, "OK");
    clients.closeAll();
  });
});
