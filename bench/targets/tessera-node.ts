/**
 * One `tessera start` process as the suite runs it: loopback, explicit free
 * ports (so a restart comes back on the same ports), its own data directory,
 * optional `--join`. Ready means the node logged its JSON line with
 * `"msg":"ready"` (the start-up contract) or already answers PING.
 */
import type { Child } from "../support/children.js";
import { NodeProcess } from "./node-process.js";
import { pingOk } from "./resp-probes.js";
import { REPO_ROOT, type TesseraRuntime, tesseraEnv } from "./tessera-runtime.js";

export interface TesseraPorts {
  readonly resp: number;
  readonly http: number;
  readonly bus: number;
}

function loggedReady(child: Child): boolean {
  for (const line of child.output().split("\n")) {
    if (!line.includes('"ready"')) continue;
    try {
      const record = JSON.parse(line) as { msg?: unknown };
      if (record.msg === "ready") return true;
    } catch {
      // Not a JSON line.
    }
  }
  return false;
}

/**
 * Node.js flags for every Tessera process the bench starts, from
 * TESSERA_BENCH_NODE_ARGS (space-separated), e.g. to profile the servers:
 * `TESSERA_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` (Node does
 * not take --cpu-prof from NODE_OPTIONS).
 */
export function nodeFlags(): string[] {
  return (process.env.TESSERA_BENCH_NODE_ARGS ?? "").split(" ").filter((a) => a.length > 0);
}

/**
 * How a target ends its Tessera processes when it closes: at once (SIGKILL),
 * or with SIGTERM while TESSERA_BENCH_NODE_ARGS is set, so that what those
 * flags write at exit (a CPU profile) gets written.
 */
export function closeSignal(): NodeJS.Signals {
  return nodeFlags().length > 0 ? "SIGTERM" : "SIGKILL";
}

export function tesseraNode(
  name: string,
  runtime: TesseraRuntime,
  ports: TesseraPorts,
  dataDir: string,
  join: string | null,
  /** Pass `--join` only on the first start; a restart finds its cluster from its data. */
  joinOnFirstStartOnly = false,
  /** More `tessera start` flags. */
  extraArgs: readonly string[] = [],
  /** A CPU quota for the process, in cores (NodeProcessSpec.cpuCores). */
  cpuCores?: number,
): NodeProcess {
  const host = "127.0.0.1";
  return new NodeProcess({
    name,
    host,
    port: ports.resp,
    dataDir,
    metricsUrl: `http://${host}:${ports.http}/metrics`,
    command: process.execPath,
    cwd: REPO_ROOT,
    env: tesseraEnv(),
    args: (startCount) => [
      ...nodeFlags(),
      runtime.entry,
      "start",
      "--port",
      String(ports.resp),
      "--http-port",
      String(ports.http),
      "--bus-port",
      String(ports.bus),
      "--data-dir",
      dataDir,
      "--bind",
      host,
      ...(join === null || (joinOnFirstStartOnly && startCount > 0) ? [] : ["--join", join]),
      ...extraArgs,
    ],
    ready: async (child) => loggedReady(child) || (await pingOk(host, ports.resp)),
    readyTimeoutMs: 180_000,
    ...(cpuCores === undefined ? {} : { cpuCores }),
  });
}
