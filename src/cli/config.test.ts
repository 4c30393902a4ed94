import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { DEFAULT_NODE_LIMITS } from "../server/index.js";
import { ConfigError, envName, loadConfig, OPTIONS, startHelp } from "./config.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function yamlFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const refuses = (argv: string[], env: NodeJS.ProcessEnv, re: RegExp) =>
  assert.throws(
    () => loadConfig(argv, env),
    (e) => e instanceof ConfigError && re.test(e.message),
  );

describe("loadConfig", () => {
  it("has the documented defaults", () => {
    const c = loadConfig([], {});
    assert.equal(c.port, 7379);
    assert.equal(c.httpPort, 7380);
    assert.equal(c.busPort, 17379);
    assert.equal(c.bind, "127.0.0.1");
    assert.equal(c.dataDir, "./tessera-data");
    assert.deepEqual(c.join, []);
    assert.equal(c.requirePass, undefined);
    assert.equal(c.logLevel, "info");
    assert.deepEqual(c.limits, DEFAULT_NODE_LIMITS);
  });

  it("derives the bus port from the RESP port unless told", () => {
    assert.equal(loadConfig(["--port", "7400"], {}).busPort, 17400);
    assert.equal(loadConfig(["--port", "0"], {}).busPort, 0);
    assert.equal(loadConfig(["--port", "7400", "--bus-port", "9000"], {}).busPort, 9000);
    refuses(["--port", "60000"], {}, /bus-port/);
  });

  it("takes flags over environment over YAML", () => {
    const file = yamlFile("p.yaml", "port: 7001\nhttp-port: 7002\nbind: 0.0.0.0\n");
    const c = loadConfig(["--config", file, "--port", "7101"], {
      TESSERA_PORT: "7201",
      TESSERA_HTTP_PORT: "7202",
    });
    assert.equal(c.port, 7101);
    assert.equal(c.httpPort, 7202);
    assert.equal(c.bind, "0.0.0.0");
  });

  it("reads the config file named by TESSERA_CONFIG", () => {
    const file = yamlFile("e.yaml", "data-dir: /var/lib/tessera\nproposals-pending-max: 7\n");
    const c = loadConfig([], { TESSERA_CONFIG: file });
    assert.equal(c.dataDir, "/var/lib/tessera");
    assert.equal(c.limits.proposalsPendingMax, 7);
  });

  it("parses join addresses and locality labels from text and YAML", () => {
    const c = loadConfig(["--join", "a:17379,[::1]:17380", "--locality", "region=eu,zone=a"], {});
    assert.deepEqual(c.join, [
      { host: "a", port: 17379 },
      { host: "::1", port: 17380 },
    ]);
    assert.deepEqual(c.locality, { region: "eu", zone: "a" });
    const file = yamlFile("j.yaml", "join: [b:1, c:2]\nlocality:\n  region: us\n");
    const y = loadConfig(["--config", file], {});
    assert.deepEqual(y.join, [
      { host: "b", port: 1 },
      { host: "c", port: 2 },
    ]);
    assert.deepEqual(y.locality, { region: "us" });
  });

  it("reads a leader preference as locality labels, none by default", () => {
    assert.equal(loadConfig([], {}).leaderPreference, undefined);
    const c = loadConfig(["--leader-preference", "region=eu"], {});
    assert.deepEqual(c.leaderPreference, { region: "eu" });
    refuses(["--leader-preference", "eu"], {}, /key=value/);
  });

  it("reads the replication factor and the fault-injection switch, off by default", () => {
    const d = loadConfig([], {});
    assert.equal(d.replicationFactor, 3);
    assert.equal(d.faultInjection, false);
    const c = loadConfig(["--enable-fault-injection", "--replication-factor", "5"], {});
    assert.equal(c.faultInjection, true);
    assert.equal(c.replicationFactor, 5);
    assert.equal(loadConfig([], { TESSERA_ENABLE_FAULT_INJECTION: "true" }).faultInjection, true);
    assert.equal(loadConfig(["--enable-fault-injection", "false"], {}).faultInjection, false);
    assert.throws(() => loadConfig([], { TESSERA_ENABLE_FAULT_INJECTION: "maybe" }), ConfigError);
    assert.throws(() => loadConfig(["--replication-factor", "0"], {}), ConfigError);
  });

  it("accepts --flag=value", () => {
    assert.equal(loadConfig(["--port=7500"], {}).port, 7500);
  });

  it("refuses bad configuration with a message naming its source", () => {
    refuses(["--nope", "1"], {}, /unknown option --nope/);
    refuses(["--port"], {}, /needs a value/);
    refuses(["--port", "65536"], {}, /--port/);
    refuses(["stray"], {}, /unexpected argument/);
    refuses([], { TESSERA_PORT: "x" }, /TESSERA_PORT/);
    refuses(["--log-level", "loud"], {}, /log level/);
    refuses(["--join", "no-port"], {}, /host:busport/);
    refuses(["--locality", "novalue"], {}, /key=value/);
    refuses(["--clients-max", "0"], {}, /clients-max/);
    refuses(["--config", yamlFile("u.yaml", "colour: blue\n")], {}, /unknown key 'colour'/);
    refuses(["--config", yamlFile("t.yaml", "port: [1]\n")], {}, /'port' in/);
    refuses(["--config", yamlFile("l.yaml", "- 1\n- 2\n")], {}, /mapping/);
    refuses(["--config", yamlFile("b.yaml", "port: [\n")], {}, /not valid YAML/);
  });

  it("documents every option with its environment variable", () => {
    const help = startHelp();
    for (const o of OPTIONS) {
      assert.ok(help.includes(`--${o.flag}`), o.flag);
      assert.ok(help.includes(envName(o.flag)), envName(o.flag));
    }
    assert.ok(help.includes("--config"));
  });
});
