/**
 * The `tessera` command: `start` (run a node), `demo` (a local cluster to try
 * Tessera; one node for now), `cli` (the interactive shell), `status` (a
 * node's replication and keyspace summary over RESP), `--help`, `--version`.
 *
 * Exit codes: 0 success; 1 the node could not start or failed (a data
 * directory in use, a port taken, a store failure); 2 bad usage or bad
 * configuration, with a one-line message on stderr.
 */
import { rmSync } from "node:fs";
import { isTesseraError } from "../lib/index.js";
import { type RunningNode, startNode, TESSERA_VERSION } from "../server/index.js";
import { ConfigError, loadConfig, startHelp } from "./config.js";
import { replyText, respCall } from "./resp-call.js";

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

const HELP = `Usage: tessera <command> [options]

Tessera: a distributed, strongly consistent key-value database that speaks
the Redis protocol.

Commands:
  start     run a node (tessera start --help lists every option)
  demo      run a local cluster to try Tessera, then connect: redis-cli -p 7379
  cli       interactive shell
  status    summary of a node (--host 127.0.0.1 --port 7379 [--password p])

Options:
  --help     show this help
  --version  print the version`;

class UsageError extends Error {}

function fail(message: string, code: number): never {
  process.stderr.write(`tessera: ${message}\n`);
  process.exit(code);
}

/** Runs the node until SIGTERM/SIGINT, then shuts it down gracefully. */
async function runUntilSignalled(
  start: () => Promise<RunningNode>,
  after?: (n: RunningNode) => void,
): Promise<void> {
  let node: RunningNode;
  try {
    node = await start();
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message, EXIT_USAGE);
    if (isTesseraError(e, "INVALID_ARGUMENT")) fail(e.message, EXIT_USAGE);
    if (isTesseraError(e)) fail(e.message, EXIT_FAILURE);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      fail(`cannot listen: ${(e as Error).message}`, EXIT_FAILURE);
    }
    throw e;
  }
  after?.(node);
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(EXIT_FAILURE); // a second signal: stop waiting
    signalled = true;
    void node.stop().then(
      () => process.exit(0),
      (err: unknown) => fail(`shutdown after ${signal} failed: ${String(err)}`, EXIT_FAILURE),
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

function startCommand(argv: readonly string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${startHelp()}\n`);
    return Promise.resolve();
  }
  return runUntilSignalled(() =>
    startNode(loadConfig(argv, process.env), { onFatal: () => process.exit(EXIT_FAILURE) }),
  );
}

function demoCommand(argv: readonly string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(
      "Usage: tessera demo [--fresh] [start options]\n\nRuns a local Tessera on the default ports (RESP 7379, HTTP 7380) with data in\n./tessera-data/demo (--fresh starts from empty). Connect with: redis-cli -p 7379\n",
    );
    return Promise.resolve();
  }
  const fresh = argv.includes("--fresh");
  const rest = argv.filter((a) => a !== "--fresh");
  const env = {
    TESSERA_DATA_DIR: "./tessera-data/demo",
    TESSERA_LOG_LEVEL: "warn",
    ...process.env,
  };
  const config = loadConfig(rest, env);
  if (fresh) rmSync(config.dataDir, { recursive: true, force: true });
  return runUntilSignalled(
    () => startNode(config, { onFatal: () => process.exit(EXIT_FAILURE) }),
    (node) => {
      process.stdout.write(
        [
          "",
          `Tessera ${TESSERA_VERSION} is running (1 node, data in ${node.dataDir}).`,
          "",
          ...[
            [`redis-cli -p ${node.respPort}`, "connect with any Redis client"],
            [`curl http://127.0.0.1:${node.httpPort}/metrics`, "Prometheus metrics"],
          ].map(([cmd, what]) => `  ${cmd!.padEnd(40)} ${what}`),
          "",
          "Press Ctrl-C to stop.",
          "",
        ].join("\n"),
      );
    },
  );
}

function parseStatusArgs(argv: readonly string[]): {
  host: string;
  port: number;
  password?: string;
} {
  let host = "127.0.0.1";
  let port = 7379;
  let password: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`option ${flag} needs a value`);
    i++;
    if (flag === "--host") host = value;
    else if (flag === "--port") {
      port = Number(value);
      if (!Number.isInteger(port) || port <= 0 || port > 65535)
        throw new UsageError(`bad port '${value}'`);
    } else if (flag === "--password") password = value;
    else throw new UsageError(`unknown option ${flag}`);
  }
  return { host, port, ...(password !== undefined ? { password } : {}) };
}

async function statusCommand(argv: readonly string[]): Promise<void> {
  const { host, port, password } = parseStatusArgs(argv);
  const commands: string[][] = [];
  if (password !== undefined) commands.push(["AUTH", password]);
  commands.push(["INFO", "server"], ["INFO", "replication"], ["INFO", "keyspace"]);
  let replies: Awaited<ReturnType<typeof respCall>>;
  try {
    replies = await respCall(host, port, commands);
  } catch (e) {
    fail(`cannot reach ${host}:${port}: ${(e as Error).message}`, EXIT_FAILURE);
  }
  const error = replies.find((r) => r.t === "error");
  if (error?.t === "error") fail(`${host}:${port} answered: ${error.v}`, EXIT_FAILURE);
  const [server, replication, keyspace] = replies
    .slice(password !== undefined ? 1 : 0)
    .map((r) => replyText(r) ?? "");
  const field = (text: string, name: string) =>
    new RegExp(`^${name}:(.*)$`, "m").exec(text)?.[1]?.trim();
  const lines = [
    `node ${host}:${port}  version ${field(server!, "redis_version") ?? field(server!, "tessera_version") ?? "?"}`,
    `  role: ${field(replication!, "role") ?? "?"}  connected replicas: ${field(replication!, "connected_slaves") ?? "0"}`,
  ];
  const spaces = keyspace!
    .split(/\r?\n/)
    .filter((l) => /^db\d+:/.test(l))
    .map((l) => `  ${l.trim()}`);
  lines.push(spaces.length > 0 ? "keyspaces:" : "keyspaces: (empty)", ...spaces);
  process.stdout.write(`${lines.join("\n")}\n`);
}

async function cliCommand(argv: readonly string[]): Promise<void> {
  // The shell is its own module; it is loaded only when asked for.
  const specifier = "./shell.js";
  let shell: {
    runShell?: (argv: readonly string[]) => Promise<number | undefined> | number | undefined;
  };
  try {
    shell = (await import(specifier)) as typeof shell;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND")
      fail("the interactive shell is not available in this build", EXIT_FAILURE);
    throw e;
  }
  if (typeof shell.runShell !== "function")
    fail("the interactive shell is not available in this build", EXIT_FAILURE);
  const code = await shell.runShell(argv);
  if (typeof code === "number") process.exitCode = code;
}

export async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case "--help":
      case "-h":
      case "help":
        process.stdout.write(`${HELP}\n`);
        return;
      case "--version":
      case "-v":
      case "version":
        process.stdout.write(`tessera ${TESSERA_VERSION}\n`);
        return;
      case "start":
        return await startCommand(rest);
      case "demo":
        return await demoCommand(rest);
      case "cli":
        return await cliCommand(rest);
      case "status":
        return await statusCommand(rest);
      default:
        throw new UsageError(`unknown command '${command}' (see tessera --help)`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) fail(e.message, EXIT_USAGE);
    throw e;
  }
}

await main(process.argv.slice(2));
