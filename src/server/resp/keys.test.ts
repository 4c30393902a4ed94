import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Redis } from "ioredis";
import { Clients, errorOf, sleep } from "./testing/clients.js";
import { startTestServer, type TestServer } from "./testing/start.js";

describe("key and expiry commands over ioredis", () => {
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

  it("DEL, UNLINK, EXISTS, TOUCH count keys (repeats included)", async () => {
    await r.mset("k:a", "1", "k:b", "2", "k:c", "3");
    assert.equal(await r.exists("k:a", "k:a", "k:none"), 2);
    assert.equal(await r.touch("k:a", "k:none"), 1);
    assert.equal(await r.del("k:a", "k:none"), 1);
    assert.equal(await r.unlink("k:b", "k:c"), 2);
    assert.equal(await r.exists("k:a", "k:b", "k:c"), 0);
  });

  it("TYPE answers string or none", async () => {
    await r.set("k:t", "v");
    assert.equal(await r.type("k:t"), "string");
    assert.equal(await r.type("k:none"), "none");
  });

  it("KEYS, SCAN (MATCH, COUNT, TYPE), DBSIZE and RANDOMKEY see the same keys", async () => {
    await r.select(3);
    for (let i = 0; i < 25; i++) await r.set(`scan:${i}`, String(i));
    await r.set("other", "x");
    assert.equal(await r.dbsize(), 26);
    assert.equal((await r.keys("scan:*")).length, 25);
    assert.deepEqual(
      (await r.keys("scan:1?")).sort(),
      Array.from({ length: 10 }, (_, i) => `scan:1${i}`).sort(),
    );
    const seen = new Set<string>();
    let cursor = "0";
    do {
      const [next, keys] = (await r.call("SCAN", cursor, "MATCH", "scan:*", "COUNT", "7")) as [
        string,
        string[],
      ];
      for (const k of keys) seen.add(k);
      cursor = next;
    } while (cursor !== "0");
    assert.equal(seen.size, 25);
    const [, typed] = (await r.call("SCAN", "0", "TYPE", "hash", "COUNT", "1000")) as [
      string,
      string[],
    ];
    assert.deepEqual(typed, []);
    assert.ok(typeof (await r.randomkey()) === "string");
    assert.equal(await errorOf(r.call("SCAN", "0", "COUNT", "0")), "ERR syntax error");
    assert.equal(await errorOf(r.call("SCAN", "0", "MATCH")), "ERR syntax error");
    assert.equal(await errorOf(r.call("SCAN", "x")), "ERR invalid cursor");
    await r.flushdb();
    assert.equal(await r.dbsize(), 0);
    assert.equal(await r.randomkey(), null);
    await r.select(0);
  });

  it("RENAME and RENAMENX move the value and its TTL", async () => {
    await r.set("k:src", "v", "EX", 100);
    assert.equal(await r.rename("k:src", "k:dst"), "OK");
    assert.equal(await r.get("k:dst"), "v");
    assert.ok((await r.ttl("k:dst")) > 90);
    assert.equal(await errorOf(r.rename("k:src", "k:x")), "ERR no such key");
    await r.set("k:other", "o");
    assert.equal(await r.renamenx("k:dst", "k:other"), 0);
    assert.equal(await r.renamenx("k:dst", "k:new"), 1);
  });

  it("COPY with DB and REPLACE", async () => {
    await r.set("k:c1", "v1");
    assert.equal(await r.call("COPY", "k:c1", "k:c2"), 1);
    assert.equal(await r.call("COPY", "k:c1", "k:c2"), 0);
    assert.equal(await r.call("COPY", "k:c1", "k:c2", "REPLACE"), 1);
    assert.equal(await r.call("COPY", "k:c1", "k:c1", "DB", "5"), 1);
    await r.select(5);
    assert.equal(await r.get("k:c1"), "v1");
    await r.select(0);
    assert.equal(
      await errorOf(r.call("COPY", "k:c1", "k:c1")),
      "ERR source and destination objects are the same",
    );
    assert.equal(
      await errorOf(r.call("COPY", "k:c1", "k:c3", "DB", "16")),
      "ERR DB index is out of range",
    );
    assert.equal(await errorOf(r.call("COPY", "k:c1", "k:c3", "FOO")), "ERR syntax error");
  });

  it("FLUSHDB empties one database and FLUSHALL every one; ASYNC and SYNC are accepted", async () => {
    await r.select(7);
    await r.set("a", "1");
    await r.select(0);
    await r.set("k:f", "1");
    assert.equal(await r.flushdb("ASYNC"), "OK");
    assert.equal(await r.dbsize(), 0);
    await r.select(7);
    assert.equal(await r.dbsize(), 1);
    assert.equal(await r.call("FLUSHALL", "SYNC"), "OK");
    assert.equal(await r.dbsize(), 0);
    await r.select(0);
    assert.equal(await errorOf(r.call("FLUSHALL", "NOW")), "ERR syntax error");
  });

  it("EXPIRE, PEXPIRE, TTL, PTTL, PERSIST", async () => {
    await r.set("e:a", "v");
    assert.equal(await r.ttl("e:a"), -1);
    assert.equal(await r.ttl("e:none"), -2);
    assert.equal(await r.expire("e:a", 100), 1);
    assert.ok((await r.ttl("e:a")) > 90);
    assert.ok((await r.pttl("e:a")) > 90_000);
    assert.equal(await r.persist("e:a"), 1);
    assert.equal(await r.persist("e:a"), 0);
    assert.equal(await r.expire("e:none", 100), 0);
    assert.equal(await r.pexpire("e:a", 60), 1);
    await sleep(100);
    assert.equal(await r.exists("e:a"), 0);
  });

  it("EXPIRE with a past time deletes the key", async () => {
    await r.set("e:past", "v");
    assert.equal(await r.expire("e:past", -1), 1);
    assert.equal(await r.exists("e:past"), 0);
  });

  it("EXPIREAT, PEXPIREAT, EXPIRETIME, PEXPIRETIME", async () => {
    const at = Math.floor(Date.now() / 1000) + 1000;
    await r.set("e:at", "v");
    assert.equal(await r.expireat("e:at", at), 1);
    assert.equal(await r.call("EXPIRETIME", "e:at"), at);
    assert.equal(await r.call("PEXPIRETIME", "e:at"), at * 1000);
    assert.equal(await r.pexpireat("e:at", at * 1000 + 5), 1);
    assert.equal(await r.call("PEXPIRETIME", "e:at"), at * 1000 + 5);
    assert.equal(await r.call("EXPIRETIME", "e:none"), -2);
  });

  it("EXPIRE NX/XX/GT/LT and their errors", async () => {
    await r.set("e:c", "v");
    assert.equal(await r.call("EXPIRE", "e:c", "100", "XX"), 0);
    assert.equal(await r.call("EXPIRE", "e:c", "100", "NX"), 1);
    assert.equal(await r.call("EXPIRE", "e:c", "200", "NX"), 0);
    assert.equal(await r.call("EXPIRE", "e:c", "50", "GT"), 0);
    assert.equal(await r.call("EXPIRE", "e:c", "200", "GT"), 1);
    assert.equal(await r.call("EXPIRE", "e:c", "300", "LT"), 0);
    assert.equal(await r.call("EXPIRE", "e:c", "10", "lt"), 1);
    assert.equal(
      await errorOf(r.call("EXPIRE", "e:c", "10", "NX", "XX")),
      "ERR NX and XX, GT or LT options at the same time are not compatible",
    );
    assert.equal(
      await errorOf(r.call("EXPIRE", "e:c", "10", "GT", "LT")),
      "ERR GT and LT options at the same time are not compatible",
    );
    assert.equal(await errorOf(r.call("EXPIRE", "e:c", "10", "FOO")), "ERR Unsupported option FOO");
    assert.equal(
      await errorOf(r.call("EXPIRE", "e:c", "ten")),
      "ERR value is not an integer or out of range",
    );
    assert.equal(
      await errorOf(r.call("EXPIRE", "e:c", "9223372036854775807")),
      "ERR invalid expire time in 'expire' command",
    );
    assert.equal(
      await errorOf(r.call("PEXPIRE", "e:c", "9223372036854775807")),
      "ERR invalid expire time in 'pexpire' command",
    );
  });

  it("answers arity errors with the command's name", async () => {
    assert.equal(await errorOf(r.call("GET")), "ERR wrong number of arguments for 'get' command");
    assert.equal(await errorOf(r.call("DEL")), "ERR wrong number of arguments for 'del' command");
    assert.equal(
      await errorOf(r.call("TTL", "a", "b")),
      "ERR wrong number of arguments for 'ttl' command",
    );
    assert.equal(
      await errorOf(r.call("EXPIRE", "a")),
      "ERR wrong number of arguments for 'expire' command",
    );
  });
});
