import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { startTestServer, type TestServer } from "../server/resp/testing/start.js";
import {
  encodeRequest,
  formatRaw,
  formatTty,
  ReplyReader,
  type RespValue,
  splitLine,
} from "./resp-reply.js";
import {
  applyAliases,
  completeCommand,
  helpText,
  loadHelp,
  parseShellArgs,
  runShell,
  ShellConnection,
} from "./shell.js";

const bulk = (s: string): RespValue => ({ t: "bulk", v: Buffer.from(s) });
const int = (n: number): RespValue => ({ t: "int", v: BigInt(n) });

/** Runs the shell with its output captured. */
async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let outText = "";
  let errText = "";
  out.on("data", (d: Buffer) => {
    outText += d.toString();
  });
  err.on("data", (d: Buffer) => {
    errText += d.toString();
  });
  const code = await runShell(argv, { stdin: new PassThrough(), stdout: out, stderr: err });
  await new Promise((r) => setImmediate(r));
  return { code, out: outText, err: errText };
}

describe("tessera cli: reply printing", () => {
  it("prints scalars as redis-cli does", () => {
    assert.equal(formatTty(bulk('a"b\n')), '"a\\"b\\n"\n');
    assert.equal(formatTty({ t: "bulk", v: Buffer.from([0, 255]) }), '"\\x00\\xff"\n');
    assert.equal(formatTty(int(3)), "(integer) 3\n");
    assert.equal(formatTty({ t: "null" }), "(nil)\n");
    assert.equal(formatTty({ t: "error", v: "ERR syntax error" }), "(error) ERR syntax error\n");
    assert.equal(formatTty({ t: "simple", v: "OK" }), "OK\n");
    assert.equal(formatTty({ t: "array", v: [] }), "(empty array)\n");
    assert.equal(formatTty({ t: "bool", v: true }), "(true)\n");
  });

  it("numbers and indents nested arrays, and prints maps as 1# k => v", () => {
    const nested: RespValue = {
      t: "array",
      v: [
        {
          t: "array",
          v: [
            bulk("get"),
            int(2),
            {
              t: "array",
              v: [
                { t: "simple", v: "readonly" },
                { t: "simple", v: "fast" },
              ],
            },
          ],
        },
      ],
    };
    assert.equal(
      formatTty(nested),
      '1) 1) "get"\n   2) (integer) 2\n   3) 1) readonly\n      2) fast\n',
    );
    const ten: RespValue = { t: "array", v: Array.from({ length: 10 }, (_, i) => int(i)) };
    assert.ok(formatTty(ten).startsWith(" 1) (integer) 0\n 2) (integer) 1\n"));
    assert.ok(formatTty(ten).endsWith("10) (integer) 9\n"));
    const map: RespValue = { t: "map", v: [bulk("a"), int(1), bulk("b"), { t: "bool", v: false }] };
    assert.equal(formatTty(map), '1# "a" => (integer) 1\n2# "b" => (false)\n');
  });

  it("prints raw replies for pipes", () => {
    assert.equal(formatRaw(bulk("v")), "v");
    assert.equal(formatRaw({ t: "null" }), "");
    assert.equal(formatRaw({ t: "array", v: [bulk("a"), int(2)] }), "a\n2");
    assert.equal(formatRaw({ t: "error", v: "ERR x" }), "ERR x\n");
  });
});

describe("tessera cli: RESP reading and line splitting", () => {
  it("reads every reply type from arbitrary chunks", () => {
    const wire =
      "+OK\r\n-ERR x\r\n:5\r\n$3\r\nabc\r\n$-1\r\n*2\r\n:1\r\n$1\r\nz\r\n%1\r\n+k\r\n#t\r\n,1.5\r\n_\r\n=7\r\ntxt:abc\r\n~1\r\n:9\r\n";
    const r = new ReplyReader();
    const got: RespValue[] = [];
    for (const ch of wire) {
      r.push(Buffer.from(ch, "latin1"));
      for (let v = r.next(); v !== undefined; v = r.next()) got.push(v);
    }
    assert.deepEqual(
      got.map((v) => v.t),
      [
        "simple",
        "error",
        "int",
        "bulk",
        "null",
        "array",
        "map",
        "double",
        "null",
        "verbatim",
        "set",
      ],
    );
    assert.equal((got[9] as { v: Buffer }).v.toString(), "abc");
  });

  it("encodes requests as multibulks", () => {
    assert.equal(encodeRequest(["GET", "k"]).toString(), "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
  });

  it("splits lines with redis-cli's quoting", () => {
    assert.deepEqual(splitLine('set "a b" \'c\' "\\x41\\n"')?.map(String), [
      "set",
      "a b",
      "c",
      "A\n",
    ]);
    assert.equal(splitLine('get "a'), undefined);
  });

  it("maps put/get/delete to SET/GET/DEL", () => {
    assert.deepEqual(
      applyAliases([Buffer.from("put"), Buffer.from("k"), Buffer.from("v")]).map(String),
      ["SET", "k", "v"],
    );
    assert.deepEqual(applyAliases([Buffer.from("delete"), Buffer.from("k")]).map(String), [
      "DEL",
      "k",
    ]);
    assert.deepEqual(applyAliases([Buffer.from("incr"), Buffer.from("k")]).map(String), [
      "incr",
      "k",
    ]);
  });

  it("completes command names", () => {
    assert.deepEqual(completeCommand(["GET", "GETDEL", "SET"], "get"), [["GET", "GETDEL"], "get"]);
    assert.deepEqual(completeCommand(["GET"], "get k"), [[], "get k"]);
  });

  it("parses -h -p -a -n and the command after them", () => {
    const o = parseShellArgs([
      "-h",
      "db1",
      "-p",
      "7000",
      "-a",
      "pw",
      "-n",
      "3",
      "--no-raw",
      "GET",
      "-p",
    ]);
    assert.ok(typeof o !== "string");
    assert.deepEqual(
      [o.host, o.port, o.password, o.db, o.raw, o.command],
      ["db1", 7000, "pw", 3, false, ["GET", "-p"]],
    );
    assert.equal(typeof parseShellArgs(["-p", "x"]), "string");
  });
});

describe("tessera cli against a server", () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ requirePass: "pw" });
  });
  after(() => t.stop());

  it("runs one command, with -a and -n, and prints like redis-cli --no-raw", async () => {
    const base = ["-p", String(t.port), "-a", "pw", "-n", "2", "--no-raw"];
    assert.deepEqual(await capture([...base, "put", "k", "v v"]), {
      code: 0,
      out: "OK\n",
      err: "",
    });
    assert.deepEqual(await capture([...base, "get", "k"]), {
      code: 0,
      out: '"v v"\n',
      err: "",
    });
    assert.deepEqual(await capture([...base, "--raw", "get", "k"]), {
      code: 0,
      out: "v v\n",
      err: "",
    });
    assert.deepEqual(await capture([...base, "delete", "k", "x"]), {
      code: 0,
      out: "(integer) 1\n",
      err: "",
    });
    const wrong = await capture([...base, "FOO"]);
    assert.equal(wrong.out, "(error) ERR unknown command 'FOO', with args beginning with: \n");
  });

  it("exits 1 when the node cannot be reached", async () => {
    const r = await capture(["-p", "1", "PING"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^Could not connect to Tessera at 127\.0\.0\.1:1: Connection refused/);
  });

  it("explains commands from the node's COMMAND DOCS", async () => {
    const conn = await ShellConnection.open("127.0.0.1", t.port);
    await conn.call(["AUTH", "pw"]);
    const help = await loadHelp(conn);
    conn.close();
    const set = helpText(help, ["set"]);
    assert.match(set, /SET key value \[NX\|XX\] \[GET\] \[EX seconds\|PX milliseconds\|/);
    assert.match(set, /summary: Set the string value of a key/);
    assert.match(helpText(help, ["put"]), /SET key value/);
    assert.match(helpText(help, ["config", "get"]), /CONFIG GET parameter \[parameter \.\.\.\]/);
    assert.match(helpText(help, ["@string"]), /GETRANGE key start end/);
    assert.match(helpText(help, []), /Groups: .*@string/);
  });

  it("reads commands from a pipe, without prompts, and keeps history only on a terminal", async () => {
    const home = mkdtempSync(join(tmpdir(), "tessera-shell-"));
    const script = join(home, "shell.mts");
    writeFileSync(
      script,
      `import { runShell } from ${JSON.stringify(new URL("./shell.ts", import.meta.url).pathname)};
process.exitCode = await runShell(process.argv.slice(2));`,
    );
    const child = spawn(
      process.execPath,
      ["--import", "tsx", script, "-p", String(t.port), "-a", "pw"],
      {
        env: { ...process.env, TESSERA_HISTORY_FILE: join(home, "history") },
      },
    );
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stdin.end('put a 1\nget a\nincr a\n"bad\nquit\nget a\n');
    const status = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    const r = { stdout, status };
    assert.equal(r.stdout, "OK\n1\n2\nInvalid argument(s)\n");
    assert.equal(r.status, 0);
    assert.equal(existsSync(join(home, "history")), false);
  });
});
