/**
 * The simulator's command line.
 *
 *   npm run sim -- --seed 12345 [--trace] [--knob K] [--mode raft|host]
 *   npm run sim -- --seeds 10000 [--from N] [--jobs 2] [--knob K] [--mode raft|host] [--stop-on-failure]
 *
 * Modes: "host" (default) runs Tessera's real Store and StoreHost on every
 * node; "raft" runs the Raft core and KV state machine under a small driver
 * of the simulator's own (raft-kv-node.ts), which is where the Raft knobs act.
 *
 * One seed replays exactly (each runs twice; differing trace hashes are a
 * determinism bug). Many seeds print a progress line (seeds per minute) and,
 * for every failure, a one-line replay command. With --jobs N the seeds are
 * shared among N worker processes.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Knob, modeForKnob, parseKnob } from "./knobs.js";
import { runSeedTwice } from "./replay.js";
import type { SimMode } from "./run-seed.js";

interface Args {
  seed?: number;
  seeds?: number;
  from: number;
  jobs: number;
  trace: boolean;
  knob?: Knob;
  mode: SimMode;
  worker?: { index: number; of: number };
  stopOnFailure: boolean;
  damageAll: boolean;
  noPauses: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = {
    from: 1,
    jobs: 1,
    trace: false,
    mode: "host",
    stopOnFailure: false,
    damageAll: false,
    noPauses: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case "--seed":
        a.seed = Number(v);
        i++;
        break;
      case "--seeds":
        a.seeds = Number(v);
        i++;
        break;
      case "--from":
        a.from = Number(v);
        i++;
        break;
      case "--jobs":
        a.jobs = Math.max(1, Number(v));
        i++;
        break;
      case "--knob":
        a.knob = parseKnob(String(v));
        i++;
        break;
      case "--mode":
        if (v !== "host" && v !== "raft") throw new Error(`--mode is host or raft, not ${v}`);
        a.mode = v;
        i++;
        break;
      case "--trace":
        a.trace = true;
        break;
      case "--damage-all":
        a.damageAll = true;
        break;
      case "--no-pauses":
        a.noPauses = true;
        break;
      case "--help":
        console.log(USAGE);
        process.exit(0);
        break;
      case "--stop-on-failure":
        a.stopOnFailure = true;
        break;
      case "--worker": {
        const [index, of] = String(v).split("/").map(Number);
        a.worker = { index: index ?? 0, of: of ?? 1 };
        i++;
        break;
      }
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  // A Raft knob needs the raft mode, unless told otherwise.
  if (a.knob && !argv.includes("--mode")) a.mode = modeForKnob(a.knob);
  return a;
}

const USAGE = `Usage: npm run sim -- [options]

Runs the deterministic cluster simulator: real StoreHost nodes on a simulated
network, disk and clock, checked for safety, convergence and linearizability.

  --seed N            one seed, with its trace hash (replay a failure)
  --seeds N           N seeds (with --from F: seeds F..F+N-1; default from 1)
  --jobs J            worker processes (default 1)
  --mode host|raft    whole nodes (default) or the Raft core alone
  --knob NAME         run with a deliberately broken variant (it must be caught)
  --trace             print a readable trace of the seed
  --damage-all        corrupt a block on every seed
  --no-pauses         no process pauses (a seed runs as it did before they existed)
  --stop-on-failure   stop at the first failing seed`;

function replayCommand(seed: number, a: Args): string {
  return `npm run sim -- --seed ${seed}${a.knob ? ` --knob ${a.knob}` : ""}${a.mode !== "host" ? ` --mode ${a.mode}` : ""}${a.damageAll ? " --damage-all" : ""}${a.noPauses ? " --no-pauses" : ""}`;
}

async function one(a: Args, seed: number): Promise<void> {
  const r = await runSeedTwice({
    seed,
    mode: a.mode,
    damageAll: a.damageAll,
    noPauses: a.noPauses,
    ...(a.knob ? { knob: a.knob } : {}),
    ...(a.trace ? { trace: (line: string) => console.log(line) } : {}),
  });
  console.log(
    `seed ${seed}: ${r.ok ? "ok" : "FAILED"} — ${r.swarm.nodeCount} nodes, ${r.events} events, ` +
      `${(r.simMs / 1000).toFixed(1)} s simulated, ops ok/fail/info ${r.ops.ok}/${r.ops.fail}/${r.ops.info}, ` +
      `lincheck ${r.lincheck}, trace ${r.traceHash}`,
  );
  if (!r.ok) {
    console.log(r.failure);
    process.exitCode = 1;
  }
}

/** Runs the seeds of this worker (every `of`-th from `index`); reports one JSON line per seed when a worker. */
async function many(a: Args): Promise<void> {
  const total = a.seeds ?? 0;
  const w = a.worker ?? { index: 0, of: 1 };
  for (let s = a.from + w.index; s < a.from + total; s += w.of) {
    const r = await runSeedTwice({
      seed: s,
      mode: a.mode,
      damageAll: a.damageAll,
      noPauses: a.noPauses,
      ...(a.knob ? { knob: a.knob } : {}),
    });
    if (a.worker) process.send?.({ seed: s, ok: r.ok, failure: r.failure?.split("\n")[0] });
    else report({ seed: s, ok: r.ok, failure: r.failure?.split("\n")[0] }, a);
    if (!r.ok && a.stopOnFailure) break;
  }
}

let done = 0;
let failures = 0;
let firstFailure: number | undefined;
const children: ReturnType<typeof fork>[] = [];
const started = performance.now();
function report(m: { seed: number; ok: boolean; failure?: string | undefined }, a: Args): void {
  done++;
  if (!m.ok) {
    failures++;
    firstFailure ??= done;
    console.log(`\nFAIL seed ${m.seed}: ${m.failure}\n  replay: ${replayCommand(m.seed, a)}`);
    if (a.stopOnFailure) for (const c of children) c.kill();
  }
  const total = a.seeds ?? 0;
  const tty = process.stdout.isTTY === true;
  if ((tty && done % 10 === 0) || done % 100 === 0 || done === total || !m.ok) {
    const min = (performance.now() - started) / 60_000;
    const line = `${done}/${total} seeds, ${failures} failed, ${(done / min).toFixed(0)} seeds/min`;
    if (tty) process.stdout.write(`\r${line}   `);
    else console.log(line);
  }
}

async function parallel(a: Args): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const base = process.argv.slice(2).filter((x, i, xs) => x !== "--jobs" && xs[i - 1] !== "--jobs");
  await Promise.all(
    Array.from({ length: a.jobs }, (_, index) => {
      const child = fork(self, [...base, "--worker", `${index}/${a.jobs}`], {
        execArgv: ["--import", "tsx"],
      });
      children.push(child);
      child.on("message", (m) => report(m as { seed: number; ok: boolean; failure?: string }, a));
      return new Promise<void>((resolve) => child.on("exit", () => resolve()));
    }),
  );
}

const args = parseArgs(process.argv.slice(2));
if (args.seed !== undefined) await one(args, args.seed);
else if (args.jobs > 1 && !args.worker) await parallel(args);
else await many(args);
if (args.seeds !== undefined && !args.worker) {
  const min = (performance.now() - started) / 60_000;
  console.log(`\n${done} seeds, ${failures} failed, ${(done / min).toFixed(0)} seeds/min`);
  // One machine-readable line for the tests.
  console.log(
    `RESULT ${JSON.stringify({ seeds: done, failures, firstFailureAfter: firstFailure ?? null })}`,
  );
  if (failures > 0) process.exitCode = 1;
}
