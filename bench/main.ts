/**
 * `npm run bench`: measures Tessera side by side with the systems its users
 * would otherwise pick (redis-server durable and in memory, Redis Cluster,
 * etcd), on this machine, in one run, and reports ratios. It starts every
 * system itself on loopback with free ports and temporary data directories,
 * and stops and removes all of them when it ends — normally, on an error, or
 * on Ctrl-C / SIGTERM. Results go to <out>/latest.{md,json,svg}; the tables
 * are also printed.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { HELP, isScaleWorkload, type Options, parseOptions } from "./options.js";
import { runJson } from "./report/json.js";
import { runMarkdown, workloadMarkdown } from "./report/markdown.js";
import type { RunReport, WorkloadReport } from "./report/model.js";
import { runSvg } from "./report/svg.js";
import { type Availability, CancelledError, runWorkload } from "./run-workload.js";
import { killAllChildrenSync } from "./support/children.js";
import { machineInfo } from "./support/machine.js";
import { elapsedSeconds, progress } from "./support/progress.js";
import { removeTempDirs } from "./support/temp-dirs.js";
import { TARGETS } from "./targets/index.js";
import { tesseraRuntime } from "./targets/tessera-runtime.js";
import { systemsOf, WORKLOADS } from "./workloads/index.js";

const defaultOutDir = new URL("./results/", import.meta.url).pathname;
let cancelled = false;

function cleanUpNow(): void {
  killAllChildrenSync();
  removeTempDirs();
}

function stopOn(reason: string, code: number): void {
  if (cancelled) return;
  cancelled = true;
  process.stdout.write(
    `\n${reason}: stopping every system the suite started and removing its data\n`,
  );
  cleanUpNow();
  process.exit(code);
}

function installExitHandlers(): void {
  process.on("exit", cleanUpNow);
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    process.on(signal, () => stopOn(signal, code));
  }
  // `npm run` may exit on SIGTERM without passing it on; a suite whose parent
  // has gone stops as if it had been signalled rather than running on orphaned.
  const parentPid = process.ppid;
  setInterval(() => {
    if (process.ppid !== parentPid) stopOn("parent process gone", 143);
  }, 500).unref();
  process.on("uncaughtException", (error) => {
    process.stderr.write(`bench: ${error.stack ?? error.message}\n`);
    cleanUpNow();
    process.exit(1);
  });
  process.on("unhandledRejection", (reason) => {
    process.stderr.write(`bench: unhandled rejection: ${String(reason)}\n`);
    cleanUpNow();
    process.exit(1);
  });
}

async function checkTargets(options: Options): Promise<Availability> {
  const availability = new Map<string, string | null>();
  // Only the systems the selected workloads compare (a default run never starts the
  // scale group's clusters, and does not list them).
  const used = new Set(options.only.flatMap((id) => systemsOf(WORKLOADS[id].comparisons(options))));
  for (const target of TARGETS) {
    if (!used.has(target.name)) continue;
    if (options.targets.length > 0 && !options.targets.includes(target.name)) continue;
    const reason = await target.check();
    availability.set(target.name, reason);
    progress(
      reason === null
        ? `target ${target.name}: available`
        : `target ${target.name}: skipped (${reason})`,
    );
  }
  for (const name of options.targets) {
    if (!TARGETS.some((t) => t.name === name)) {
      throw new Error(
        `unknown target '${name}'; choose from ${TARGETS.map((t) => t.name).join(",")}`,
      );
    }
  }
  return availability;
}

/** `scale` when only the scale group ran (so its figures never replace the main report), else `latest`. */
function outputStem(options: Options): string {
  return options.only.every(isScaleWorkload) ? "scale" : "latest";
}

function writeOutputs(options: Options, run: RunReport): void {
  const stem = outputStem(options);
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(join(options.outDir, `${stem}.md`), runMarkdown(run));
  writeFileSync(join(options.outDir, `${stem}.json`), runJson(run));
  writeFileSync(join(options.outDir, `${stem}.svg`), runSvg(run));
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2), defaultOutDir);
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  installExitHandlers();
  const date = new Date().toISOString();
  progress(`Tessera benchmark suite${options.quick ? " (quick)" : ""}: ${options.only.join(", ")}`);
  const machine = await machineInfo();
  progress(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, data on ${machine.dataDirFilesystem}`,
  );
  const availability = await checkTargets(options);
  const notes: string[] = [
    `load average (1/5/15 min) at start ${machine.loadAverage.map((l) => l.toFixed(2)).join(" ")} on ${machine.cores} cores: ` +
      "the machine may be shared with other processes (tests, other benchmarks) that the suite does not control; " +
      "interleaved rounds spread that noise over every system, but absolute figures are lower than on an idle machine",
  ];
  if ([...availability].some(([name, reason]) => name.startsWith("tessera") && reason === null)) {
    const runtime = await tesseraRuntime();
    notes.push(`Tessera runs from ${runtime.note}`);
    progress(`Tessera runs from ${runtime.note}`);
  }
  const ctx = {
    options,
    checkCancelled: () => {
      if (cancelled) throw new CancelledError("cancelled");
    },
  };
  const reports: WorkloadReport[] = [];
  for (const id of options.only) {
    const workload = WORKLOADS[id];
    progress(`== ${workload.title}`);
    const report = await runWorkload(ctx, workload, availability, options);
    reports.push(report);
    process.stdout.write(`\n${workloadMarkdown(report)}\n`);
  }
  const run: RunReport = {
    date,
    durationSeconds: elapsedSeconds(),
    loadAverageEnd: loadavg(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    options: { ...options },
    machine,
    targets: TARGETS.filter((t) => availability.has(t.name)).map((t) => ({
      name: t.name,
      description: t.description,
      status: availability.get(t.name) ?? "available",
    })),
    notes,
    workloads: reports,
  };
  writeOutputs(options, run);
  progress(
    `wrote ${join(options.outDir, `${outputStem(options)}.md`)}, .json, .svg in ${elapsedSeconds().toFixed(0)} s`,
  );
  return 0;
}

main().then(
  (code) => {
    cleanUpNow();
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    cleanUpNow();
    process.exitCode = 1;
  },
);
