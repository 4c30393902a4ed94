import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Redis } from "ioredis";
import { Clients, errorOf, sleep } from "./testing/clients.js";
import { rawExchange } from "./testing/raw.js";
import { startTestServer, type TestServer } from "./testing/start.js";

describe("server commands over ioredis", () => {
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

  it("INFO has Redis's sections and fields, and Tessera's", async () => {
    await r.set("i:a", "1");
    await r.set("i:b", "1", "EX", 100);
    const info = await r.info();
    assert.ok(
      info.startsWith("# Server\r\nredis_version:7.2.0\r\ntessera_version:0.1.0-test\r\n"),
      info,
    );
    for (const header of [
      "# Clients",
      "# Memory",
      "# Persistence",
      "# Stats",
      "# Replication",
      "# Keyspace",
    ]) {
      assert.ok(info.includes(`\r\n\r\n${header}\r\n`), header);
    }
    assert.match(info, /\r\nloading:0\r\n/);
    assert.match(info, /\r\nrole:master\r\n/);
    assert.match(info, /\r\ndb0:keys=2,expires=1,avg_ttl=0\r\n/);
    assert.match(info, new RegExp(`\\r\\ntcp_port:${t.port}\\r\\n`));
  });

  it("INFO takes sections, case-insensitively; all and everything; unknown sections are empty", async () => {
    assert.match(await r.info("KEYSPACE"), /^# Keyspace\r\n/);
    const two = (await r.call("INFO", "server", "clients")) as string;
    assert.ok(two.includes("# Server") && two.includes("# Clients") && !two.includes("# Memory"));
    assert.ok(((await r.call("INFO", "everything")) as string).includes("# CPU"));
    assert.equal(await r.call("INFO", "nosuchsection"), "");
  });

  it("TIME answers seconds and microseconds", async () => {
    const [sec, usec] = (await r.call("TIME")) as [string, string];
    assert.ok(Math.abs(Number(sec) - Date.now() / 1000) < 5);
    assert.ok(Number(usec) >= 0 && Number(usec) < 1_000_000);
  });

  it("LASTSAVE answers a Unix time", async () => {
    const t0 = (await r.lastsave()) as number;
    assert.ok(Math.abs(t0 - Date.now() / 1000) < 5);
  });

  it("CONFIG GET matches glob patterns and includes the node's parameters", async () => {
    assert.deepEqual(await r.config("GET", "maxclients"), ["maxclients", "10000"]);
    assert.deepEqual(await r.config("GET", "appendonly"), ["appendonly", "yes"]);
    assert.deepEqual(await r.config("GET", "save"), ["save", ""]);
    assert.deepEqual(await r.config("GET", "port"), ["port", String(t.port)]);
    const all = (await r.config("GET", "*")) as string[];
    for (const name of [
      "bind",
      "databases",
      "requirepass",
      "proto-max-bulk-len",
      "client-query-buffer-limit",
      "timeout",
      "dir",
      "loglevel",
    ]) {
      assert.ok(all.includes(name), name);
    }
    const many = (await r.call("CONFIG", "GET", "maxclients", "time*")) as string[];
    assert.deepEqual(many, ["maxclients", "10000", "timeout", "0"]);
    assert.deepEqual(await r.config("GET", "nosuch*"), []);
  });

  it("CONFIG SET changes live parameters and refuses immutable and unknown ones", async () => {
    assert.equal(await r.config("SET", "maxclients", "500"), "OK");
    assert.deepEqual(await r.config("GET", "maxclients"), ["maxclients", "500"]);
    assert.equal(await r.config("SET", "maxclients", "10000"), "OK");
    assert.equal(await r.call("CONFIG", "SET", "proto-max-bulk-len", "1gb"), "OK");
    assert.deepEqual(await r.config("GET", "proto-max-bulk-len"), [
      "proto-max-bulk-len",
      String(1024 ** 3),
    ]);
    assert.equal(await r.call("CONFIG", "SET", "loglevel", "warning"), "OK");
    assert.equal(
      await errorOf(r.config("SET", "databases", "3")),
      "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config",
    );
    assert.equal(
      await errorOf(r.config("SET", "appendonly", "no")),
      "ERR CONFIG SET failed (possibly related to argument 'appendonly') - can't set immutable config",
    );
    assert.equal(
      await errorOf(r.config("SET", "tessera-raft-election-ticks", "3")),
      "ERR CONFIG SET failed (possibly related to argument 'tessera-raft-election-ticks') - can't set immutable config",
    );
    assert.equal(
      await errorOf(r.config("SET", "foo", "1")),
      "ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
    );
    assert.equal(
      await errorOf(r.config("SET", "maxclients", "x")),
      "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer",
    );
    assert.equal(
      await errorOf(r.call("CONFIG", "SET", "timeout", "1", "timeout", "2")),
      "ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter",
    );
    assert.equal(
      await errorOf(r.call("CONFIG", "SET", "timeout", "1", "x")),
      "ERR wrong number of arguments for 'config|set' command",
    );
    assert.equal(await r.call("CONFIG", "RESETSTAT"), "OK");
  });

  it("CONFIG SET requirepass applies to new connections", async () => {
    await r.config("SET", "requirepass", "pw");
    const res = await rawExchange(t.port, "PING\r\nAUTH pw\r\nPING\r\n");
    assert.equal(res.text, "-NOAUTH Authentication required.\r\n+OK\r\n+PONG\r\n");
    assert.equal(await r.ping(), "PONG");
    await r.config("SET", "requirepass", "");
  });

  it("COMMAND COUNT, INFO, DOCS, LIST, GETKEYS", async () => {
    const count = (await r.call("COMMAND", "COUNT")) as number;
    assert.ok(count >= 59);
    const [get] = (await r.command("INFO", "get")) as unknown[][];
    assert.deepEqual(get?.slice(0, 7), [
      "get",
      2,
      ["readonly", "fast"],
      1,
      1,
      1,
      ["@read", "@string", "@fast"],
    ]);
    assert.deepEqual(await r.command("INFO", "nosuch"), [null]);
    const all = (await r.call("COMMAND")) as unknown[];
    assert.equal(all.length, count);
    const docs = (await r.call("COMMAND", "DOCS", "set")) as unknown[];
    assert.equal(docs[0], "set");
    const setDocs = docs[1] as unknown[];
    assert.equal(setDocs[setDocs.indexOf("summary") + 1], "Set the string value of a key");
    assert.ok(setDocs.includes("arguments"));
    const names = (await r.call("COMMAND", "LIST")) as string[];
    assert.ok(names.includes("get") && names.includes("config|get"));
    assert.deepEqual(await r.call("COMMAND", "LIST", "FILTERBY", "PATTERN", "getr*"), ["getrange"]);
    assert.deepEqual(await r.call("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"), ["a", "b"]);
    assert.equal(
      await errorOf(r.call("COMMAND", "GETKEYS", "PING", "x")),
      "ERR The command has no key arguments",
    );
    assert.equal(
      await errorOf(r.call("COMMAND", "GETKEYS", "NOPE", "x")),
      "ERR Invalid command specified",
    );
    assert.equal(
      await errorOf(r.call("COMMAND", "GETKEYS", "GET", "a", "b")),
      "ERR Invalid number of arguments specified for command",
    );
  });

  it("WAIT answers the replicas that hold this connection's writes", async () => {
    await r.set("w", "1");
    assert.equal(await r.call("WAIT", "0", "0"), 0);
    assert.equal(await errorOf(r.call("WAIT", "0", "-1")), "ERR timeout is negative");
    assert.equal(
      await errorOf(r.call("WAIT", "x", "0")),
      "ERR value is not an integer or out of range",
    );
  });

  it("DEBUG offers only harmless subcommands", async () => {
    assert.equal(await r.call("DEBUG", "SLEEP", "0"), "OK");
    assert.equal(await r.call("DEBUG", "JMAP"), "OK");
    const before = Date.now();
    await r.call("DEBUG", "SLEEP", "0.05");
    assert.ok(Date.now() - before >= 40);
    assert.equal(
      await errorOf(r.call("DEBUG", "SEGFAULT")),
      "ERR unknown subcommand or wrong number of arguments for 'SEGFAULT'. Try DEBUG HELP.",
    );
    assert.ok(((await r.call("DEBUG", "HELP")) as string[]).length > 2);
  });

  it("DEBUG PROTOCOL shows RESP3 types", async () => {
    const res = await rawExchange(
      t.port,
      "HELLO 3\r\nDEBUG PROTOCOL map\r\nDEBUG PROTOCOL true\r\nDEBUG PROTOCOL double\r\n",
    );
    assert.ok(
      res.text.endsWith("%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n#t\r\n,3.25\r\n"),
      res.text,
    );
  });

  it("SAVE and BGSAVE succeed: every write is already durable", async () => {
    assert.equal(await r.call("SAVE"), "OK");
    assert.equal(await r.call("BGSAVE"), "Background saving started");
    assert.equal(await r.call("BGSAVE", "SCHEDULE"), "Background saving started");
    assert.equal(await errorOf(r.call("BGSAVE", "NOW")), "ERR syntax error");
  });

  it("reports instantaneous_ops_per_sec from recent traffic", async () => {
    for (let i = 0; i < 20; i++) {
      await Promise.all(Array.from({ length: 50 }, () => r.ping()));
      await sleep(10);
    }
    const ops = Number(/instantaneous_ops_per_sec:(\d+)/.exec(await r.info("stats"))?.[1]);
    assert.ok(ops > 0, String(ops));
  });

  it("counts commands and connections in INFO stats; RESETSTAT zeroes them", async () => {
    await r.call("CONFIG", "RESETSTAT");
    await r.ping();
    await sleep(10);
    const stats = await r.info("stats");
    assert.match(stats, /total_commands_processed:[1-9]/);
  });
});
