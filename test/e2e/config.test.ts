/**
 * `tessera start` configuration from the outside: every option documented
 * in --help, bad configuration refused with one line and exit code 2, and
 * flags over environment over YAML.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { runTessera, startNode, stopAll, tempDataDir } from "../support/process.js";

after(stopAll);

/** Whether a client using `password` can run a command. */
async function authenticates(port: number, password: string): Promise<boolean> {
  const client = new Redis({
    port,
    host: "127.0.0.1",
    password,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function configError(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await runTessera(["start", ...args], { env });
  assert.equal(r.code, 2, `expected exit 2, got ${r.code}: ${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `expected one line, got: ${r.stderr}`);
  return lines[0]!;
}

describe("tessera start configuration", () => {
  it("documents every option in start --help", async () => {
    const r = await runTessera(["start", "--help"]);
    assert.equal(r.code, 0);
    for (const flag of [
      "--port",
      "--http-port",
      "--bus-port",
      "--bind",
      "--data-dir",
      "--join",
      "--locality",
      "--requirepass",
      "--log-level",
      "--config",
      "--proposals-pending-max",
      "--proposal-bytes-max",
    ]) {
      assert.ok(r.stdout.includes(flag), `${flag} is missing from --help`);
    }
    assert.match(r.stdout, /TESSERA_PORT/);
  });

  it("prints its version and its help", async () => {
    assert.match((await runTessera(["--version"])).stdout, /^tessera \d+\.\d+\.\d+/);
    assert.match((await runTessera(["--help"])).stdout, /Usage: tessera/);
  });

  it("refuses an unknown flag, a bad port, a bad join address and a bad limit", async () => {
    assert.match(await configError(["--no-such-flag", "1"]), /unknown option --no-such-flag/);
    assert.match(await configError(["--port", "70000"]), /--port/);
    assert.match(await configError(["--port", "abc"]), /--port/);
    assert.match(await configError(["--join", "nohost"]), /host:busport/);
    assert.match(await configError(["--proposals-pending-max", "0"]), /proposals-pending-max/);
    assert.match(await configError([], { TESSERA_HTTP_PORT: "-1" }), /TESSERA_HTTP_PORT/);
  });

  it("refuses an unknown YAML key and a value of the wrong type", async () => {
    const dir = tempDataDir();
    const unknown = join(dir, "unknown.yaml");
    writeFileSync(unknown, "port: 7400\ncolour: blue\n");
    assert.match(await configError(["--config", unknown]), /unknown key 'colour'/);
    const wrong = join(dir, "wrong.yaml");
    writeFileSync(wrong, "requirepass: [1, 2]\n");
    assert.match(await configError(["--config", wrong]), /requirepass/);
    assert.match(
      await configError(["--config", join(dir, "missing.yaml")]),
      /cannot read config file/,
    );
  });

  it("takes flags over environment over YAML", async () => {
    const dir = tempDataDir();
    const yaml = join(dir, "tessera.yaml");
    writeFileSync(yaml, "requirepass: from-yaml\nlog-level: debug\n");
    const node = await startNode({
      args: ["--config", yaml],
      env: { TESSERA_REQUIREPASS: "from-env" },
    });
    assert.equal(await authenticates(node.respPort, "from-yaml"), false);
    assert.equal(await authenticates(node.respPort, "from-env"), true);
    await node.stop();
    const flagged = await startNode({
      args: ["--config", yaml, "--requirepass", "from-flag"],
      env: { TESSERA_REQUIREPASS: "from-env" },
    });
    assert.equal(await authenticates(flagged.respPort, "from-env"), false);
    assert.equal(await authenticates(flagged.respPort, "from-flag"), true);
    await flagged.stop();
  });
});
