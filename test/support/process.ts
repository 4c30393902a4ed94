/**
 * Real Tessera processes for end-to-end tests.
 *
 * `startNode()` spawns `node bin/tessera.js start --port 0 --http-port 0
 * --bus-port 0 --data-dir <dir> …` as a child process, waits for its JSON
 * "ready" log line and returns the ports it bound. A data directory is
 * created in a temp dir unless one is given; temp dirs are removed and every
 * child still running is killed when the test process exits, even after a
 * failure (and by `stopAll()`, which tests may call from `after`).
 *
 * With `TESSERA_E2E_LOG_DIR` set, every node's output also goes to
 * `<dir>/node-<pid>.log` as it is written, so a failed run can be read after.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const ROOT = new URL("../..", import.meta.url).pathname;
const BIN = join(ROOT, "bin/tessera.js");
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const LOG_DIR = process.env.TESSERA_E2E_LOG_DIR;

export interface StartNodeOptions {
  /** Data directory; a fresh temp dir (removed at exit) when absent. */
  readonly dataDir?: string;
  /** Extra arguments after `start` (e.g. ["--requirepass", "x"]). */
  readonly args?: readonly string[];
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Max ms to wait for the ready line (default 30 s). */
  readonly readyTimeoutMs?: number;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface NodeProcess {
  readonly respPort: number;
  readonly httpPort: number;
  readonly busPort: number;
  readonly nodeId: number;
  readonly pid: number;
  readonly dataDir: string;
  /** Every line the process wrote to stdout and stderr so far. */
  readonly output: () => string;
  /** SIGTERM, then wait for exit (SIGKILL after a grace period). */
  stop(): Promise<ExitInfo>;
  kill(signal?: NodeJS.Signals): void;
  waitExit(): Promise<ExitInfo>;
}

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function cleanup(): void {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
process.on("exit", cleanup);

/** Kills every child still running and removes temp dirs; waits for the children to exit. */
export async function stopAll(): Promise<void> {
  const children = [...live];
  for (const c of children) c.kill("SIGKILL");
  await Promise.all(
    children.map((c) =>
      c.exitCode !== null || c.signalCode !== null
        ? undefined
        : new Promise((r) => c.once("exit", r)),
    ),
  );
  cleanup();
}

/** A fresh temp directory removed at exit. */
export function tempDataDir(prefix = "tessera-e2e-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Runs `tessera <args>` to completion (for commands that exit: --help, bad config, status). */
export function runTessera(
  args: readonly string[],
  options: { env?: Readonly<Record<string, string>>; timeoutMs?: number } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, TESSERA_FROM_SOURCE: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    live.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`tessera ${args.join(" ")} did not exit in time\n${stdout}${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function startNode(options: StartNodeOptions = {}): Promise<NodeProcess> {
  const dataDir = options.dataDir ?? tempDataDir();
  const args = [
    BIN,
    "start",
    "--port",
    "0",
    "--http-port",
    "0",
    "--bus-port",
    "0",
    "--data-dir",
    dataDir,
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, TESSERA_FROM_SOURCE: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  const lines: string[] = [];
  if (LOG_DIR !== undefined) {
    mkdirSync(LOG_DIR, { recursive: true });
    const file = join(LOG_DIR, `node-${child.pid}.log`);
    const tee = (line: string) => appendFileSync(file, `${line}\n`);
    createInterface({ input: child.stderr }).on("line", tee);
    createInterface({ input: child.stdout }).on("line", tee);
  }
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  createInterface({ input: child.stderr }).on("line", (line) => lines.push(line));
  return new Promise<NodeProcess>((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      child.kill("SIGKILL");
      reject(new Error(`tessera did not become ready: ${why}\n${lines.join("\n")}`));
    };
    const timer = setTimeout(() => fail("timed out"), options.readyTimeoutMs ?? READY_TIMEOUT_MS);
    void exited.then((info) => {
      clearTimeout(timer);
      fail(`exited with code ${info.code} signal ${info.signal}`);
    });
    createInterface({ input: child.stdout }).on("line", (line) => {
      lines.push(line);
      if (settled) return;
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (rec.msg !== "ready") return;
      settled = true;
      clearTimeout(timer);
      const node: NodeProcess = {
        respPort: Number(rec.respPort),
        httpPort: Number(rec.httpPort),
        busPort: Number(rec.busPort),
        nodeId: Number(rec.nodeId),
        pid: child.pid!,
        dataDir,
        output: () => lines.join("\n"),
        kill: (signal = "SIGKILL") => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        },
        waitExit: () => exited,
        stop: async () => {
          node.kill("SIGTERM");
          const grace = setTimeout(() => node.kill("SIGKILL"), STOP_TIMEOUT_MS);
          const info = await exited;
          clearTimeout(grace);
          return info;
        },
      };
      resolve(node);
    });
  });
}
