/**
 * `tessera demo` (and `npm start`): a local cluster of real node processes on
 * 127.0.0.1, to try Tessera in one command. Node 1 takes the default ports
 * (RESP 7379, HTTP 7380, bus 17379), node N the ports 2(N-1) above them; data
 * lives in ./tessera-data/demo/node-N and is kept across runs, so a second
 * demo restarts the same cluster (`--fresh` starts from empty). Node 1
 * bootstraps, the others join it. Each node logs to node-N.log beside its
 * data.
 *
 * The demo waits until every node is ready, prints how to connect, and stops
 * every node cleanly on Ctrl-C or SIGTERM. A node that dies on its own is
 * reported, with where its log is.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { UsageError } from "./admin-args.js";

const BIN = fileURLToPath(new URL("../../bin/tessera.js", import.meta.url));
const DEMO_DIR_DEFAULT = "./tessera-data/demo";
const RESP_PORT_BASE = 7379;
const PORT_STEP = 2;
const BUS_PORT_OFFSET = 10_000;
const NODES_DEFAULT = 3;
const NODES_MAX = 9;
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

interface DemoNode {
  readonly n: number;
  readonly respPort: number;
  readonly httpPort: number;
  readonly busPort: number;
  readonly dataDir: string;
  readonly logFile: string;
  child?: ChildProcess;
  ready?: Promise<void>;
}

export const DEMO_HELP = `Usage: tessera demo [--fresh] [--nodes N] [--dir path]

Runs a local Tessera cluster of N real node processes (default 3) on 127.0.0.1:
node 1 on RESP 7379, HTTP 7380, bus 17379; node N two ports above node N-1.
Data is kept in ./tessera-data/demo/node-N across runs (--fresh starts from
empty). Connect with: redis-cli -p 7379`;

function parseDemoArgs(argv: readonly string[]): { fresh: boolean; nodes: number; dir: string } {
  let fresh = false;
  let nodes = NODES_DEFAULT;
  let dir = DEMO_DIR_DEFAULT;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--fresh") fresh = true;
    else if (a === "--nodes") {
      nodes = Number(argv[++i]);
      if (!Number.isInteger(nodes) || nodes < 1 || nodes > NODES_MAX) {
        throw new UsageError(`--nodes must be 1..${NODES_MAX}`);
      }
    } else if (a === "--dir") {
      const v = argv[++i];
      if (v === undefined) throw new UsageError("--dir needs a value");
      dir = v;
    } else throw new UsageError(`unknown demo option ${a}`);
  }
  return { fresh, nodes, dir };
}

function spawnNode(node: DemoNode, join: string | undefined, onDeath: (why: string) => void): void {
  mkdirSync(node.dataDir, { recursive: true });
  const args = [
    BIN,
    "start",
    "--port",
    String(node.respPort),
    "--http-port",
    String(node.httpPort),
    "--bus-port",
    String(node.busPort),
    "--data-dir",
    node.dataDir,
    ...(join !== undefined ? ["--join", join] : []),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, TESSERA_LOG_LEVEL: process.env.TESSERA_LOG_LEVEL ?? "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  node.child = child;
  const log = createWriteStream(node.logFile, { flags: "a" });
  child.stderr.pipe(log);
  let settled = false;
  node.ready = new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`node ${node.n} not ready after ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    createInterface({ input: child.stdout }).on("line", (line) => {
      log.write(`${line}\n`);
      if (!settled && line.includes('"msg":"ready"')) {
        settled = true;
        clearTimeout(timer);
        resolveReady();
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      const why = `node ${node.n} exited (code ${code}, signal ${signal}); see ${node.logFile}`;
      if (!settled) {
        settled = true;
        reject(new Error(why));
      }
      onDeath(why);
    });
  });
}

export async function runDemo(argv: readonly string[]): Promise<number> {
  const { fresh, nodes: count, dir } = parseDemoArgs(argv);
  const root = resolve(dir);
  if (fresh) rmSync(root, { recursive: true, force: true });
  const nodes: DemoNode[] = Array.from({ length: count }, (_, i) => {
    const respPort = RESP_PORT_BASE + PORT_STEP * i;
    return {
      n: i + 1,
      respPort,
      httpPort: respPort + 1,
      busPort: respPort + BUS_PORT_OFFSET,
      dataDir: join(root, `node-${i + 1}`),
      logFile: join(root, `node-${i + 1}.log`),
    };
  });
  const restarting = existsSync(join(nodes[0]!.dataDir, "store"));
  let stopping = false;
  const onDeath = (why: string) => {
    if (!stopping) process.stderr.write(`tessera demo: ${why}\n`);
  };
  const stopAll = async (): Promise<void> => {
    stopping = true;
    await Promise.all(
      nodes.map(async (node) => {
        const child = node.child;
        if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const grace = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
        await new Promise((r) => child.once("exit", r));
        clearTimeout(grace);
      }),
    );
  };
  let signalled = false;
  const onSignal = () => {
    if (signalled) process.exit(1);
    signalled = true;
    process.stdout.write("\nstopping the demo cluster…\n");
    void stopAll().then(() => process.exit(0));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const seed = `127.0.0.1:${nodes[0]!.busPort}`;
  try {
    process.stdout.write(
      `${restarting ? "restarting" : "starting"} a ${count}-node Tessera cluster in ${root} …\n`,
    );
    if (restarting) {
      // Every node has its identity; they need each other for a quorum.
      for (const node of nodes) spawnNode(node, node.n === 1 ? undefined : seed, onDeath);
      await Promise.all(nodes.map((n) => n.ready));
    } else {
      for (const node of nodes) {
        spawnNode(node, node.n === 1 ? undefined : seed, onDeath);
        await node.ready;
      }
    }
  } catch (e) {
    process.stderr.write(`tessera demo: ${(e as Error).message}\n`);
    await stopAll();
    return 1;
  }
  const rows = nodes.map(
    (n) =>
      `  node ${n.n}  redis-cli -p ${n.respPort}   http://127.0.0.1:${n.httpPort}   bus 127.0.0.1:${n.busPort}`,
  );
  process.stdout.write(
    [
      "",
      `Tessera is running: ${count} nodes, every range replicated ${Math.min(3, count)} ways.`,
      ...rows,
      "",
      `  redis-cli -p ${nodes[0]!.respPort}                       connect with any Redis client`,
      `  npx tessera status -p ${nodes[0]!.respPort}              nodes, ranges, leaders, lag`,
      `  curl http://127.0.0.1:${nodes[0]!.httpPort}/metrics   Prometheus metrics`,
      "",
      `Logs: ${root}/node-N.log. Press Ctrl-C to stop.`,
      "",
    ].join("\n"),
  );
  return new Promise<number>(() => {}); // runs until signalled
}
