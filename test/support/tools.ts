/**
 * Real command-line tools (redis-cli, redis-benchmark, etcdctl) run from tests:
 * whether one is installed, and a run to completion that keeps the event loop
 * free for the servers the test started in-process.
 */
import { spawn, spawnSync } from "node:child_process";

export function has(tool: string): boolean {
  return spawnSync("which", [tool]).status === 0;
}

/** Runs a tool to completion without blocking the event loop. */
export function runTool(
  cmd: string,
  args: readonly string[],
  input?: string,
  timeoutMs = 120_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Without input the tool's stdin is closed from the start: writing even an empty
    // chunk to a pipe races the tool's exit (redis-cli with a command never reads it)
    // and fails with EPIPE when the tool wins.
    const child = spawn(cmd, args, {
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")} timed out\n${stdout}${stderr}`));
    }, timeoutMs);
    // "close", not "exit": the output pipes may still hold data when the process exits.
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined && child.stdin) {
      // A tool may exit before it reads all of its input; its exit code tells the rest.
      child.stdin.on("error", () => {});
      child.stdin.end(input);
    }
  });
}
