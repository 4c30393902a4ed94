/**
 * The `tessera` command: `start` (run a node), `demo` (a local 3-node cluster
 * to try Tessera), `cli` (the interactive shell), `status` (the cluster's
 * nodes, ranges and lag over RESP), `node list|remove|decommission`,
 * `--help`, `--version`.
 *
 * Exit codes: 0 success; 1 the node could not start or failed (a data
 * directory in use, a port taken, a store failure); 2 bad usage or bad
 * configuration, with a one-line message on stderr.
 */
import { isTesseraError } from "../lib/index.js";
import { type RunningNode, startNode, TESSERA_VERSION } from "../server/index.js";
import { parseTarget, type Target, UsageError } from "./admin-args.js";
import { ConfigError, loadConfig, startHelp } from "./config.js";
import { DEMO_HELP, runDemo } from "./demo.js";
import { CommandFailure, nodeCommand, statusCommand } from "./status-command.js";

const EXIT_FAILURE = 1;
/** How long a node that must stop (removed, or a fatal error) takes to let its clients go. */
const FATAL_STOP_MS = 10_000;
const EXIT_USAGE = 2;

const HELP = `Usage: tessera <command> [options]

Tessera: a distributed, strongly consistent key-value database that speaks
the Redis protocol.

Commands:
  start     run a node (tessera start --help lists every option)
  demo      run a local 3-node cluster to try Tessera, then connect: redis-cli -p 7379
  cli       interactive shell
  status    the cluster's nodes, ranges, leaders, lag and load [-h host] [-p port] [-a password]
  node      list | remove <id> | decommission <id> [-h host] [-p port] [-a password]

Options:
  --help     show this help
  --version  print the version`;

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
  let running: RunningNode | undefined;
  let failing = false;
  return runUntilSignalled(
    () =>
      startNode(loadConfig(argv, process.env), {
        onFatal: (e) => {
          const message = e instanceof Error ? e.message : String(e);
          if (running === undefined) fail(message, EXIT_FAILURE);
          if (failing) return;
          failing = true;
          // Stop as SIGTERM does, so clients take the replies they are owed
          // first: a Redis client re-sends whatever a dropped connection left
          // unanswered, and a write that was already applied would apply twice.
          setTimeout(() => fail(message, EXIT_FAILURE), FATAL_STOP_MS).unref();
          void running.stop().finally(() => fail(message, EXIT_FAILURE));
        },
      }),
    (n) => {
      running = n;
    },
  );
}

async function demoCommand(argv: readonly string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${DEMO_HELP}\n`);
    return;
  }
  const code = await runDemo(argv);
  process.exit(code);
}

async function operatorCommand(
  run: (target: Target, words: string[]) => Promise<string>,
  argv: readonly string[],
): Promise<void> {
  const { target, rest } = parseTarget(argv);
  try {
    process.stdout.write(await run(target, rest));
  } catch (e) {
    if (e instanceof CommandFailure) fail(e.message, EXIT_FAILURE);
    throw e;
  }
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
        return await operatorCommand((t, words) => {
          if (words.length > 0) throw new UsageError(`unexpected argument '${words[0]}'`);
          return statusCommand(t);
        }, rest);
      case "node":
        return await operatorCommand(nodeCommand, rest);
      default:
        throw new UsageError(`unknown command '${command}' (see tessera --help)`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) fail(e.message, EXIT_USAGE);
    throw e;
  }
}

await main(process.argv.slice(2));
