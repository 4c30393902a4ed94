/**
 * Real tools against a real `tessera start` process: redis-cli (formatted
 * output, a pipe of inline commands), redis-benchmark, `tessera cli`, and a
 * node started with --requirepass. Skipped (with the reason) while the
 * `tessera` binary cannot start a node or a tool is not installed.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Clients, errorOf } from "../../src/server/resp/testing/clients.js";
import { rawExchange } from "../../src/server/resp/testing/raw.js";
import { type NodeProcess, runTessera, startNode, stopAll } from "../support/process.js";
import { has, runTool as run } from "../support/tools.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const startable =
  existsSync(join(ROOT, "src/cli/main.ts")) || existsSync(join(ROOT, "dist/cli/main.js"));
const skipNode = startable ? false : "`tessera start` is not available yet (no src/cli/main.ts)";
const skipCli = skipNode || (has("redis-cli") ? false : "redis-cli is not installed");
const skipBenchmark =
  skipNode || (has("redis-benchmark") ? false : "redis-benchmark is not installed");

describe("redis-cli and redis-benchmark against a real node", { skip: skipNode }, () => {
  let node: NodeProcess;
  const cli = (...args: string[]) => run("redis-cli", ["-p", String(node.respPort), ...args]);

  before(async () => {
    node = await startNode();
  });
  after(() => stopAll());

  it("prints replies as redis-cli --no-raw does for Redis", { skip: skipCli }, async () => {
    assert.equal((await cli("--no-raw", "SET", "cli:k", "hello world")).stdout, "OK\n");
    assert.equal((await cli("--no-raw", "GET", "cli:k")).stdout, '"hello world"\n');
    assert.equal((await cli("--no-raw", "GET", "cli:none")).stdout, "(nil)\n");
    assert.equal((await cli("--no-raw", "INCR", "cli:n")).stdout, "(integer) 1\n");
    assert.equal(
      (await cli("--no-raw", "MGET", "cli:k", "cli:none")).stdout,
      '1) "hello world"\n2) (nil)\n',
    );
    assert.equal(
      (await cli("--no-raw", "FOO", "x")).stdout,
      "(error) ERR unknown command 'FOO', with args beginning with: 'x' \n",
    );
    assert.equal((await cli("GET", "cli:k")).stdout, "hello world\n");
  });

  it("runs a pipe of inline commands", { skip: skipCli }, async () => {
    const input =
      'SET cli:p1 one\nSET "cli:p 2" "two words"\nGET cli:p1\nGET "cli:p 2"\nDEL cli:p1\nEXISTS cli:p1\n';
    const piped = await run("redis-cli", ["-p", String(node.respPort)], input);
    assert.equal(piped.stdout, "OK\nOK\none\ntwo words\n1\n0\n");
  });

  it("loads a file with redis-cli --pipe", { skip: skipCli }, async () => {
    const lines = Array.from({ length: 500 }, (_, i) => `SET cli:bulk:${i} ${i}\r\n`).join("");
    const res = await run("redis-cli", ["-p", String(node.respPort), "--pipe"], lines);
    assert.match(res.stdout, /errors: 0, replies: 500/);
    assert.equal((await cli("GET", "cli:bulk:499")).stdout, "499\n");
  });

  it("completes redis-benchmark -t set,get -n 20000 -c 20 -q without errors", {
    skip: skipBenchmark,
  }, async () => {
    const res = await run("redis-benchmark", [
      "-p",
      String(node.respPort),
      "-t",
      "set,get",
      "-n",
      "20000",
      "-c",
      "20",
      "-q",
    ]);
    assert.equal(res.code, 0, res.stderr);
    const out = res.stdout.replace(/\r/g, "\n");
    assert.match(out, /SET: [\d.]+ requests per second/);
    assert.match(out, /GET: [\d.]+ requests per second/);
    assert.doesNotMatch(`${out}${res.stderr}`, /error|ERR/i);
  });

  it("runs `tessera cli` one-shot commands and aliases", async () => {
    const port = String(node.respPort);
    const put = await runTessera(["cli", "-p", port, "--no-raw", "put", "tc:k", "v"]);
    assert.equal(put.stdout, "OK\n", put.stderr);
    assert.equal(
      (await runTessera(["cli", "-p", port, "--no-raw", "get", "tc:k"])).stdout,
      '"v"\n',
    );
    assert.equal(
      (await runTessera(["cli", "-p", port, "--no-raw", "delete", "tc:k"])).stdout,
      "(integer) 1\n",
    );
  });
});

describe("a node started with --requirepass", { skip: skipNode }, () => {
  let node: NodeProcess;

  before(async () => {
    node = await startNode({ args: ["--requirepass", "e2e-secret"] });
  });
  after(() => stopAll());

  it("refuses commands until AUTH, then serves them", async () => {
    const clients = new Clients(node.respPort);
    try {
      const raw = await rawExchange(
        node.respPort,
        "GET k\r\nAUTH wrong\r\nAUTH e2e-secret\r\nSET k v\r\n",
      );
      assert.equal(
        raw.text,
        "-NOAUTH Authentication required.\r\n-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n+OK\r\n",
      );
      // ioredis opens with HELLO 3, which Redis refuses the same way before AUTH.
      const anon = clients.connect();
      assert.match(
        await errorOf(anon.get("k")),
        /^NOAUTH HELLO must be called with the client already authenticated/,
      );
      const authed = clients.connect({ password: "e2e-secret" });
      assert.equal(await authed.get("k"), "v");
    } finally {
      clients.closeAll();
    }
  });

  it("lets redis-cli -a authenticate", { skip: skipCli }, async () => {
    const res = await run("redis-cli", [
      "-p",
      String(node.respPort),
      "-a",
      "e2e-secret",
      "--no-auth-warning",
      "PING",
    ]);
    assert.equal(res.stdout, "PONG\n");
  });
});
