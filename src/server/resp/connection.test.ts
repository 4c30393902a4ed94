import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Redis } from "ioredis";
import { Clients, errorOf, sleep } from "./testing/clients.js";
import { rawExchange } from "./testing/raw.js";

/** For exchanges the server ends by closing: wait for the close. */
const CLOSES = { expectClose: () => true };

import { startTestServer, type TestServer } from "./testing/start.js";

describe("connection commands over ioredis", () => {
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

  it("PING and ECHO", async () => {
    assert.equal(await r.ping(), "PONG");
    assert.equal(await r.ping("hi"), "hi");
    assert.equal(await r.echo("x y"), "x y");
    assert.equal(
      await errorOf(r.call("PING", "a", "b")),
      "ERR wrong number of arguments for 'ping' command",
    );
  });

  it("SELECT switches keyspaces; 16 databases", async () => {
    const c = clients.connect();
    await c.set("sel", "db0");
    await c.select(15);
    assert.equal(await c.get("sel"), null);
    await c.set("sel", "db15");
    await c.select(0);
    assert.equal(await c.get("sel"), "db0");
    assert.equal(await errorOf(c.select(16)), "ERR DB index is out of range");
    assert.equal(await errorOf(c.call("SELECT", "-1")), "ERR DB index is out of range");
    assert.equal(
      await errorOf(c.call("SELECT", "x")),
      "ERR value is not an integer or out of range",
    );
  });

  it("answers unknown commands as Redis 7 words it", async () => {
    assert.equal(
      await errorOf(r.call("FOO", "a", "b")),
      "ERR unknown command 'FOO', with args beginning with: 'a' 'b' ",
    );
    assert.equal(
      await errorOf(r.call("NOPE")),
      "ERR unknown command 'NOPE', with args beginning with: ",
    );
    assert.equal(
      await errorOf(r.call("CONFIG", "FOO")),
      "ERR unknown subcommand 'FOO'. Try CONFIG HELP.",
    );
    assert.equal(
      await errorOf(r.call("CLIENT", "nope")),
      "ERR unknown subcommand 'nope'. Try CLIENT HELP.",
    );
    assert.equal(
      await errorOf(r.call("CONFIG", "GET")),
      "ERR wrong number of arguments for 'config|get' command",
    );
  });

  it("HELLO 3 switches to RESP3 and answers a map; HELLO 2 switches back", async () => {
    const res = await rawExchange(t.port, "HELLO 3\r\nGET nothing\r\nHELLO 2\r\nGET nothing\r\n");
    assert.match(
      res.text,
      /^%7\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n\$7\r\nversion\r\n\$5\r\n7\.2\.0\r\n\$5\r\nproto\r\n:3\r\n/,
    );
    assert.ok(res.text.includes("_\r\n*14\r\n"), res.text);
    assert.ok(res.text.endsWith("$-1\r\n"));
  });

  it("HELLO refuses other versions and bad options", async () => {
    assert.equal(await errorOf(r.call("HELLO", "4")), "NOPROTO unsupported protocol version");
    assert.equal(
      await errorOf(r.call("HELLO", "x")),
      "ERR Protocol version is not an integer or out of range",
    );
    assert.equal(
      await errorOf(r.call("HELLO", "2", "FOO")),
      "ERR Syntax error in HELLO option 'FOO'",
    );
  });

  it("HELLO SETNAME names the connection", async () => {
    const c = clients.connect();
    await c.call("HELLO", "2", "SETNAME", "worker-1");
    assert.equal(await c.client("GETNAME"), "worker-1");
  });

  it("AUTH without a configured password answers Redis's hint", async () => {
    assert.equal(
      await errorOf(r.call("AUTH", "pw")),
      "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
    );
    assert.equal(await r.call("AUTH", "default", "anything"), "OK");
    assert.equal(await errorOf(r.call("AUTH", "a", "b", "c")), "ERR syntax error");
  });

  it("CLIENT ID, SETNAME, GETNAME, INFO, LIST, SETINFO, NO-EVICT, NO-TOUCH", async () => {
    const c = clients.connect({ connectionName: "named" });
    const id = (await c.client("ID")) as number;
    assert.ok(id > 0);
    assert.equal(await c.client("GETNAME"), "named");
    assert.equal(
      await errorOf(c.call("CLIENT", "SETNAME", "a b")),
      "ERR Client names cannot contain spaces, newlines or special characters.",
    );
    await c.call("CLIENT", "SETINFO", "LIB-NAME", "mylib");
    const info = (await c.call("CLIENT", "INFO")) as string;
    assert.match(
      info,
      new RegExp(
        `^id=${id} addr=127\\.0\\.0\\.1:\\d+ laddr=.* name=named .* db=0 .* cmd=client\\|info .* lib-name=mylib .* consistency=strong\\n$`,
      ),
    );
    const list = (await c.call("CLIENT", "LIST")) as string;
    assert.ok(list.split("\n").filter((l) => l.length > 0).length >= 2);
    assert.match(
      (await c.call("CLIENT", "LIST", "ID", String(id))) as string,
      new RegExp(`^id=${id} `),
    );
    assert.equal(await c.call("CLIENT", "LIST", "TYPE", "pubsub"), "");
    assert.equal(
      await errorOf(c.call("CLIENT", "LIST", "TYPE", "foo")),
      "ERR Unknown client type 'foo'",
    );
    assert.equal(await c.call("CLIENT", "NO-EVICT", "on"), "OK");
    assert.equal(await c.call("CLIENT", "NO-TOUCH", "off"), "OK");
    assert.equal(await errorOf(c.call("CLIENT", "NO-EVICT", "maybe")), "ERR syntax error");
    assert.equal(
      await errorOf(c.call("CLIENT", "SETINFO", "FOO", "x")),
      "ERR Unrecognized option 'FOO'",
    );
  });

  it("CLIENT CONSISTENCY sets the read level the service sees", async () => {
    const c = clients.connect();
    assert.equal(await c.call("CLIENT", "CONSISTENCY"), "strong");
    assert.equal(await c.call("CLIENT", "CONSISTENCY", "quorum"), "OK");
    t.service.reads.length = 0;
    await c.get("x");
    assert.deepEqual(t.service.reads, ["quorum"]);
    assert.match((await c.call("CLIENT", "INFO")) as string, /consistency=quorum/);
    assert.match(
      await errorOf(c.call("CLIENT", "CONSISTENCY", "eventual")),
      /^ERR invalid consistency level 'eventual'/,
    );
  });

  it("CLIENT KILL by ID and by address, in the old form too", async () => {
    const victim = clients.connect();
    const id = (await victim.client("ID")) as number;
    assert.equal(await r.call("CLIENT", "KILL", "ID", String(id)), 1);
    await sleep(50);
    assert.equal(victim.status === "end" || victim.status === "close", true);
    const victim2 = clients.connect();
    const info = (await victim2.call("CLIENT", "INFO")) as string;
    const addr = /addr=(\S+)/.exec(info)?.[1] as string;
    assert.equal(await r.call("CLIENT", "KILL", addr), "OK");
    assert.equal(await errorOf(r.call("CLIENT", "KILL", "1.2.3.4:5")), "ERR No such client");
    assert.equal(await r.call("CLIENT", "KILL", "ID", "999999"), 0);
    assert.equal(
      await errorOf(r.call("CLIENT", "KILL", "ID", "x")),
      "ERR client-id should be greater than 0",
    );
    assert.equal(await errorOf(r.call("CLIENT", "KILL", "FOO", "bar")), "ERR syntax error");
  });

  it("QUIT replies OK and closes", async () => {
    const res = await rawExchange(t.port, "PING\r\nQUIT\r\nPING\r\n", CLOSES);
    assert.equal(res.text, "+PONG\r\n+OK\r\n");
    assert.equal(res.closed, true);
  });

  it("RESET returns the connection to its initial state", async () => {
    const res = await rawExchange(
      t.port,
      "SELECT 3\r\nCLIENT SETNAME x\r\nHELLO 3\r\nRESET\r\nCLIENT GETNAME\r\nCLIENT INFO\r\n",
    );
    assert.ok(res.text.includes("+RESET\r\n$-1\r\n"), res.text);
    assert.match(res.text, / db=0 .* resp=2 /);
  });
});

describe("AUTH with requirepass", () => {
  let t: TestServer;
  let clients: Clients;

  before(async () => {
    t = await startTestServer({ requirePass: "s3cret" });
    clients = new Clients(t.port);
  });
  after(async () => {
    clients.closeAll();
    await t.stop();
  });

  it("refuses commands before AUTH with NOAUTH", async () => {
    const res = await rawExchange(t.port, "GET a\r\nPING\r\n");
    assert.equal(
      res.text,
      "-NOAUTH Authentication required.\r\n-NOAUTH Authentication required.\r\n",
    );
  });

  it("accepts the password, refuses a wrong one with WRONGPASS", async () => {
    const res = await rawExchange(
      t.port,
      "AUTH nope\r\nAUTH default nope\r\nAUTH s3cret\r\nPING\r\n",
    );
    assert.equal(
      res.text,
      "-WRONGPASS invalid username-password pair or user is disabled.\r\n".repeat(2) +
        "+OK\r\n+PONG\r\n",
    );
  });

  it("HELLO needs authentication or AUTH inside it", async () => {
    const res = await rawExchange(
      t.port,
      "HELLO 3\r\nHELLO 3 AUTH default bad\r\nHELLO 3 AUTH default s3cret\r\nPING\r\n",
    );
    assert.ok(
      res.text.startsWith("-NOAUTH HELLO must be called with the client already authenticated"),
      res.text,
    );
    assert.ok(res.text.includes("-WRONGPASS "));
    assert.ok(res.text.includes("%7\r\n"));
    assert.ok(res.text.endsWith("+PONG\r\n"));
  });

  it("lets ioredis connect with a password", async () => {
    const c = clients.connect({ password: "s3cret" });
    assert.equal(await c.set("k", "v"), "OK");
    assert.equal(await c.get("k"), "v");
  });

  it("RESET forgets the authentication", async () => {
    const res = await rawExchange(t.port, "AUTH s3cret\r\nRESET\r\nGET a\r\n");
    assert.equal(res.text, "+OK\r\n+RESET\r\n-NOAUTH Authentication required.\r\n");
  });

  it("caps unauthenticated requests as Redis does", async () => {
    const res = await rawExchange(t.port, "*20\r\n", CLOSES);
    assert.equal(res.text, "-ERR Protocol error: unauthenticated multibulk length\r\n");
    assert.equal(res.closed, true);
  });
});
