/**
 * Byte-for-byte parity with a real redis-server, when one is installed: each
 * exchange of testdata/redis-parity.txt goes to both servers on fresh
 * connections and the replies must be identical.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { sleep } from "./testing/clients.js";
import { endsWithEcho, rawExchange } from "./testing/raw.js";
import { startTestServer, type TestServer } from "./testing/start.js";

const hasRedis = spawnSync("which", ["redis-server"]).status === 0;
const corpus = readFileSync(new URL("./testdata/redis-parity.txt", import.meta.url), "utf8")
  .split("\n")
  .filter((l) => l.trim().length > 0 && !l.startsWith("#"));

const END = "parity-end-of-exchange";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

describe("parity with redis-server", {
  skip: hasRedis ? false : "redis-server is not installed",
}, () => {
  let redis: ChildProcess;
  let redisPort: number;
  let t: TestServer;

  before(async () => {
    redisPort = await freePort();
    redis = spawn(
      "redis-server",
      ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      {
        stdio: "ignore",
      },
    );
    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      const res = await rawExchange(redisPort, "PING\r\n", { quietMs: 50 }).catch(() => undefined);
      ready = res?.text === "+PONG\r\n";
      if (!ready) await sleep(50);
    }
    assert.ok(ready, "redis-server did not start");
    t = await startTestServer();
  });
  after(async () => {
    redis.kill("SIGKILL");
    await t.stop();
  });

  for (const line of corpus) {
    it(`answers ${line.length > 70 ? `${line.slice(0, 70)}…` : line}`, async () => {
      // A closing ECHO marks the end of the replies (unless the exchange closes first).
      const data = `FLUSHALL\r\n${line.replaceAll("\\r\\n", "\r\n")}\r\nECHO ${END}\r\n`;
      const options = { until: endsWithEcho(END), maxMs: 5_000 };
      const [theirs, ours] = await Promise.all([
        rawExchange(redisPort, data, options),
        rawExchange(t.port, data, options),
      ]);
      assert.equal(ours.text, theirs.text);
      assert.equal(ours.closed, theirs.closed);
    });
  }
});
