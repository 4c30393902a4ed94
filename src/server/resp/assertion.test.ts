import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { rawExchange } from "./testing/raw.js";

describe("bugs are not operating errors", () => {
  it("lets an AssertionError from below crash the process instead of answering it", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", new URL("./testing/assert-child.ts", import.meta.url).pathname],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const port = await new Promise<number>((resolve) => {
      createInterface({ input: child.stdout }).once("line", (line) => resolve(Number(line)));
    });
    assert.equal((await rawExchange(port, "PING\r\n")).text, "+PONG\r\n");
    const res = await rawExchange(port, "SET k v\r\n", { quietMs: 2000 });
    assert.equal(res.text, "");
    assert.notEqual(await exited, 0);
    assert.match(stderr, /AssertionError: test: broken invariant/);
  });
});
