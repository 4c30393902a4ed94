import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { cpuQuotaUnavailable, limitCpu } from "./cpu-quota.js";
import { cpuSecondsOf } from "./proc-stats.js";

const unavailable = cpuQuotaUnavailable();

describe("CPU quota", { skip: unavailable ?? false }, () => {
  it("holds a busy process (two spinning threads) to its share of one core", async () => {
    // Two threads spin: without the quota the process could take two cores.
    const child = spawn(
      process.execPath,
      [
        "-e",
        "const { Worker } = require('node:worker_threads');" +
          "new Worker('for (;;) {}', { eval: true }); for (;;) {}",
      ],
      { stdio: "ignore" },
    );
    try {
      const release = limitCpu(child.pid!, 0.25);
      const exited = new Promise((resolve) => child.once("exit", resolve));
      const cpu0 = await cpuSecondsOf(child.pid!);
      const t0 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const used = (await cpuSecondsOf(child.pid!)) - cpu0;
      const wall = (performance.now() - t0) / 1000;
      // An upper bound only: a busy machine gives the process less, never more.
      assert.ok(used <= 0.25 * wall + 0.1, `used ${used} s of CPU in ${wall} s under 0.25 core`);
      child.kill("SIGKILL");
      await exited;
      release();
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("refuses a quota that is not positive", () => {
    assert.throws(() => limitCpu(process.pid, 0), /must be positive/);
  });
});
