/**
 * Test support: runs the simulator's command line in a child process (so its
 * worker processes can share the machine's cores) and returns its summary
 * line, `RESULT {...}`, parsed.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface CliResult {
  readonly seeds: number;
  readonly failures: number;
  /** How many seeds had run when the first failure was reported. */
  readonly firstFailureAfter: number | null;
  readonly output: string;
}

export function runSimCli(args: readonly string[]): Promise<CliResult> {
  const main = fileURLToPath(new URL("./main.ts", import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", main, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("error", reject);
    child.on("close", () => {
      const line = output.split("\n").find((l) => l.startsWith("RESULT "));
      if (!line) {
        reject(new Error(`the simulator printed no RESULT line:\n${output.slice(-4000)}`));
        return;
      }
      resolve({
        ...(JSON.parse(line.slice("RESULT ".length)) as Omit<CliResult, "output">),
        output,
      });
    });
  });
}
