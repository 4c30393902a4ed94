import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Redis } from "ioredis";
import { Clients, errorOf, sleep } from "./testing/clients.js";
import { startTestServer, type TestServer } from "./testing/start.js";

const NOT_INT = "ERR value is not an integer or out of range";

describe("string commands over ioredis", () => {
  let t: TestServer;
  let clients: Clients;
  let r: Redis;

  before(async () => {
    t = await startTestServer();
    clients = new Clients(t.port);
    r = clients.connect();
  });
  after(async () => {
    clients.closeAll();
    await t.stop();
  });

  it("SET and GET a value; GET of a missing key is nil", async () => {
    assert.equal(await r.set("s:a", "1"), "OK");
    assert.equal(await r.get("s:a"), "1");
    assert.equal(await r.get("s:missing"), null);
  });

  it("SET NX/XX/GET follow Redis", async () => {
    assert.equal(await r.call("SET", "s:nx", "1", "NX"), "OK");
    assert.equal(await r.call("SET", "s:nx", "2", "NX"), null);
    assert.equal(await r.call("SET", "s:xx", "1", "XX"), null);
    assert.equal(await r.call("SET", "s:nx", "3", "XX", "GET"), "1");
    assert.equal(await r.call("SET", "s:nx", "4", "NX", "GET"), "3");
    assert.equal(await r.get("s:nx"), "3");
  });

  it("SET validates options with Redis's errors", async () => {
    assert.equal(await errorOf(r.call("SET", "k", "v", "NX", "XX")), "ERR syntax error");
    assert.equal(await errorOf(r.call("SET", "k", "v", "EX", "5", "PX", "5")), "ERR syntax error");
    assert.equal(await errorOf(r.call("SET", "k", "v", "KEEPTTL", "EX", "5")), "ERR syntax error");
    assert.equal(await errorOf(r.call("SET", "k", "v", "EX")), "ERR syntax error");
    assert.equal(await errorOf(r.call("SET", "k", "v", "FOO")), "ERR syntax error");
    assert.equal(
      await errorOf(r.call("SET", "k", "v", "EX", "0")),
      "ERR invalid expire time in 'set' command",
    );
    assert.equal(
      await errorOf(r.call("SET", "k", "v", "PX", "-5")),
      "ERR invalid expire time in 'set' command",
    );
    assert.equal(
      await errorOf(r.call("SET", "k", "v", "EX", "9223372036854775807")),
      "ERR invalid expire time in 'set' command",
    );
    assert.equal(await errorOf(r.call("SET", "k", "v", "EX", "x")), NOT_INT);
    assert.equal(await errorOf(r.call("SET", "k", "v", "EX", "010")), NOT_INT);
    assert.equal(
      await errorOf(r.call("SET", "k")),
      "ERR wrong number of arguments for 'set' command",
    );
  });

  it("SET with PX expires the key, and KEEPTTL keeps the TTL", async () => {
    await r.call("SET", "s:ttl", "v", "PX", "80");
    assert.ok((await r.pttl("s:ttl")) > 0);
    await r.call("SET", "s:ttl", "w", "KEEPTTL");
    assert.ok((await r.pttl("s:ttl")) > 0);
    await sleep(120);
    assert.equal(await r.get("s:ttl"), null);
    await r.call("SET", "s:ttl2", "v", "EX", "100");
    await r.set("s:ttl2", "w");
    assert.equal(await r.ttl("s:ttl2"), -1);
  });

  it("SET EXAT/PXAT take absolute times; a past time deletes", async () => {
    const future = Date.now() + 60_000;
    await r.call("SET", "s:at", "v", "PXAT", String(future));
    assert.equal(await r.call("PEXPIRETIME", "s:at"), future);
    await r.call("SET", "s:at", "v", "EXAT", "1");
    assert.equal(await r.exists("s:at"), 0);
  });

  it("SETNX, SETEX, PSETEX, GETSET, GETDEL", async () => {
    assert.equal(await r.setnx("s:n", "1"), 1);
    assert.equal(await r.setnx("s:n", "2"), 0);
    assert.equal(await r.setex("s:ex", 100, "v"), "OK");
    assert.ok((await r.ttl("s:ex")) > 90);
    assert.equal(await r.psetex("s:pex", 100000, "v"), "OK");
    assert.ok((await r.pttl("s:pex")) > 90000);
    assert.equal(
      await errorOf(r.setex("s:ex", 0, "v")),
      "ERR invalid expire time in 'setex' command",
    );
    assert.equal(
      await errorOf(r.psetex("s:ex", -1, "v")),
      "ERR invalid expire time in 'psetex' command",
    );
    assert.equal(await r.getset("s:n", "3"), "1");
    assert.equal(await r.getdel("s:n"), "3");
    assert.equal(await r.getdel("s:n"), null);
  });

  it("GETEX sets or removes the TTL", async () => {
    await r.set("s:gx", "v");
    assert.equal(await r.call("GETEX", "s:gx", "EX", "100"), "v");
    assert.ok((await r.ttl("s:gx")) > 90);
    assert.equal(await r.call("GETEX", "s:gx", "PERSIST"), "v");
    assert.equal(await r.ttl("s:gx"), -1);
    assert.equal(await r.call("GETEX", "s:none"), null);
    assert.equal(
      await errorOf(r.call("GETEX", "s:gx", "EX", "0")),
      "ERR invalid expire time in 'getex' command",
    );
    assert.equal(await errorOf(r.call("GETEX", "s:gx", "PERSIST", "EX", "5")), "ERR syntax error");
    assert.equal(await errorOf(r.call("GETEX", "s:gx", "KEEPTTL")), "ERR syntax error");
    // As Redis, the time is checked only once a string is found at the key.
    assert.equal(await r.call("GETEX", "s:none", "EX", "0"), null);
    assert.equal(await r.call("GETEX", "s:none", "EX", "x"), null);
  });

  it("MSET, MGET, MSETNX", async () => {
    assert.equal(await r.mset("m:a", "1", "m:b", "2"), "OK");
    assert.deepEqual(await r.mget("m:a", "m:b", "m:c"), ["1", "2", null]);
    assert.equal(await r.msetnx("m:c", "3", "m:a", "x"), 0);
    assert.equal(await r.msetnx("m:c", "3", "m:d", "4"), 1);
    assert.equal(
      await errorOf(r.call("MSET", "a", "1", "b")),
      "ERR wrong number of arguments for 'mset' command",
    );
  });

  it("APPEND, STRLEN, GETRANGE, SUBSTR, SETRANGE", async () => {
    assert.equal(await r.append("s:ap", "Hello"), 5);
    assert.equal(await r.append("s:ap", " World"), 11);
    assert.equal(await r.strlen("s:ap"), 11);
    assert.equal(await r.strlen("s:none"), 0);
    assert.equal(await r.getrange("s:ap", 0, 4), "Hello");
    assert.equal(await r.getrange("s:ap", -5, -1), "World");
    assert.equal(await r.call("SUBSTR", "s:ap", "6", "100"), "World");
    assert.equal(await r.setrange("s:ap", 6, "Redis"), 11);
    assert.equal(await r.get("s:ap"), "Hello Redis");
    assert.equal(await r.setrange("s:pad", 3, "x"), 4);
    assert.equal(await r.get("s:pad"), "\0\0\0x");
    assert.equal(await errorOf(r.setrange("s:ap", -1, "x")), "ERR offset is out of range");
    assert.equal(await errorOf(r.getrange("s:ap", "x" as unknown as number, 1)), NOT_INT);
  });

  it("INCR, DECR, INCRBY, DECRBY with Redis's errors", async () => {
    assert.equal(await r.incr("n:a"), 1);
    assert.equal(await r.incrby("n:a", 10), 11);
    assert.equal(await r.decr("n:a"), 10);
    assert.equal(await r.decrby("n:a", 20), -10);
    await r.set("n:big", "9223372036854775807");
    assert.equal(await errorOf(r.incr("n:big")), "ERR increment or decrement would overflow");
    await r.set("n:str", "abc");
    assert.equal(await errorOf(r.incr("n:str")), NOT_INT);
    assert.equal(await errorOf(r.call("INCRBY", "n:a", "1.5")), NOT_INT);
    assert.equal(await errorOf(r.call("INCRBY", "n:a", "+1")), NOT_INT);
    await r.call("INCRBY", "n:x", "-9223372036854775808");
    assert.equal(await r.get("n:x"), "-9223372036854775808");
  });

  it("INCRBYFLOAT formats like Redis and refuses NaN and infinity", async () => {
    assert.equal(await r.incrbyfloat("f:a", 10.5), "10.5");
    assert.equal(await r.incrbyfloat("f:a", 0.1), "10.6");
    assert.equal(await r.call("INCRBYFLOAT", "f:b", "5.0e3"), "5000");
    assert.equal(await r.call("INCRBYFLOAT", "f:c", "0x10"), "16");
    assert.equal(
      await errorOf(r.call("INCRBYFLOAT", "f:a", "x")),
      "ERR value is not a valid float",
    );
    assert.equal(
      await errorOf(r.call("INCRBYFLOAT", "f:a", " 1")),
      "ERR value is not a valid float",
    );
    assert.equal(
      await errorOf(r.call("INCRBYFLOAT", "f:a", "inf")),
      "ERR increment would produce NaN or Infinity",
    );
  });

  it("serves a RESP2 client the same (ioredis with protocol 2)", async () => {
    const c2 = clients.connect({ protocol: 2 });
    assert.equal(await c2.set("s:r2", "v"), "OK");
    assert.deepEqual(await c2.mget("s:r2", "s:none"), ["v", null]);
    assert.equal(await c2.incr("s:r2n"), 1);
    assert.deepEqual(await c2.config("GET", "maxclients"), ["maxclients", "10000"]);
    assert.equal(await errorOf(c2.call("GET")), "ERR wrong number of arguments for 'get' command");
  });

  it("keeps binary keys and values intact", async () => {
    const key = Buffer.from([0, 1, 2, 255, 13, 10]);
    const value = Buffer.from([255, 0, 13, 10, 0, 128]);
    await r.set(key, value);
    assert.deepEqual(await r.getBuffer(key), value);
    const big = Buffer.alloc(1024 * 1024, 7);
    await r.set("s:big", big);
    assert.ok((await r.getBuffer("s:big"))?.equals(big));
  });
});
