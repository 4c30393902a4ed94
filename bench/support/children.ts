/**
 * Every process the suite starts is spawned here and remembered until it exits,
 * so that nothing outlives the run: on normal completion, on an error, on
 * Ctrl-C / SIGTERM and even on an abrupt `process.exit` the remaining children
 * are killed. Children run in their own process group (`detached`), and a kill
 * is sent to the whole group so a server's helpers go with it.
 */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { join } from "node:path";

/** A started child with the promise of its exit. */
export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** Output seen so far (stdout and stderr interleaved), last `outputBytesMax` bytes. */
  output(): string;
}

const outputBytesMax = 64 * 1024;
const live = new Set<Child>();
/**
 * With TESSERA_BENCH_LOG_DIR set, every child's whole output also goes to
 * `<dir>/<name>-<pid>.log` (servers' logs, to see what a run went through).
 */
const logDir = process.env.TESSERA_BENCH_LOG_DIR;

/** Starts `command` in its own process group and tracks it until it exits. */
export function spawnChild(
  name: string,
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Child {
  const proc = spawn(command, args, {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    ...options,
  });
  if (proc.pid === undefined) {
    throw new Error(`${name}: could not start ${command}`);
  }
  let out = "";
  const logFile =
    logDir === undefined
      ? undefined
      : join(logDir, `${name.replace(/[^\w.-]+/g, "_")}-${proc.pid}.log`);
  const collect = (chunk: Buffer) => {
    if (logFile !== undefined) appendFileSync(logFile, chunk);
    out += chunk.toString("utf8");
    if (out.length > outputBytesMax) out = out.slice(out.length - outputBytesMax);
  };
  proc.stdout?.on("data", collect);
  proc.stderr?.on("data", collect);
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    proc.once("exit", (code, signal) => {
      done = true;
      live.delete(child);
      resolve(code ?? signal ?? "unknown");
    });
    proc.once("error", () => {
      done = true;
      live.delete(child);
      resolve("spawn-error");
    });
  });
  const child: Child = {
    name,
    proc,
    pid: proc.pid,
    exited,
    hasExited: () => done,
    output: () => out,
  };
  live.add(child);
  return child;
}

/** Sends `signal` to the child's process group (falling back to the child alone). */
export function signalChild(child: Child, signal: NodeJS.Signals): void {
  if (child.hasExited()) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      process.kill(child.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/**
 * Stops a child: `signal` first, SIGKILL if it has not exited after `graceMs`.
 * Resolves once it has exited.
 */
export async function stopChild(child: Child, signal: NodeJS.Signals = "SIGTERM", graceMs = 5000) {
  if (child.hasExited()) return;
  signalChild(child, signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), graceMs);
  });
  const first = await Promise.race([child.exited, timedOut]);
  clearTimeout(timer);
  if (first === "timeout") {
    signalChild(child, "SIGKILL");
    await child.exited;
  }
}

/** Kills every child still running, synchronously (safe inside an `exit` handler). */
export function killAllChildrenSync(): void {
  for (const child of live) signalChild(child, "SIGKILL");
}

/** Stops every child still running and waits for them. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((child) => stopChild(child, "SIGKILL", 2000)));
}

/** Runs a command to completion with a time limit; resolves with its exit code and output. */
export async function runCommand(
  name: string,
  command: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<{ code: number | string; output: string; stdout: string }> {
  const child = spawnChild(name, command, args);
  let stdout = "";
  child.proc.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  const timer = setTimeout(() => signalChild(child, "SIGKILL"), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  return { code, output: child.output(), stdout };
}
