/**
 * How the suite runs Tessera. Start-up time is part of what it measures
 * (recovery), so Tessera runs from compiled JavaScript, not through a
 * TypeScript loader: once per run the sources are compiled with the
 * project's build config into bench/results/tmp/tessera-dist (ignored by
 * git; resolving dependencies from the repository's node_modules). If the
 * compiled entry point is missing or does not run (`start --help`), the
 * suite falls back to `bin/tessera.js` and says so in the report.
 * `TESSERA_BENCH_ENTRY=/path/to/cli/main.js` measures a given build instead
 * and skips the compilation.
 */
import { existsSync, rmSync } from "node:fs";
import { runCommand } from "../support/children.js";
import { progress } from "../support/progress.js";

export const REPO_ROOT = new URL("../../", import.meta.url).pathname;
const outDir = new URL("../results/tmp/tessera-dist/", import.meta.url).pathname;
const compiledEntry = `${outDir}cli/main.js`;
const binEntry = `${REPO_ROOT}bin/tessera.js`;

export interface TesseraRuntime {
  /** The script `node` runs, followed by Tessera's own arguments. */
  readonly entry: string;
  /** How the entry was obtained, for the report. */
  readonly note: string;
}

let runtime: Promise<TesseraRuntime> | null = null;

async function build(): Promise<TesseraRuntime> {
  progress("compiling Tessera (tsc -p tsconfig.build.json) for a fair start-up time");
  const tsc = `${REPO_ROOT}node_modules/.bin/tsc`;
  rmSync(outDir, { recursive: true, force: true });
  const result = await runCommand(
    "tsc",
    tsc,
    ["-p", `${REPO_ROOT}tsconfig.build.json`, "--outDir", outDir, "--sourceMap", "false"],
    300_000,
  );
  const works = existsSync(compiledEntry) && (await startsHelp(compiledEntry));
  if (works) {
    const note =
      result.code === 0
        ? "compiled JavaScript (tsc -p tsconfig.build.json)"
        : "compiled JavaScript (tsc reported type errors but emitted)";
    return { entry: compiledEntry, note };
  }
  return {
    entry: binEntry,
    note: "bin/tessera.js (the compiled build did not run `start --help`; start-up may include TypeScript loading)",
  };
}

/** True if `node entry start --help` exits 0 (the compiled build runs from where it is). */
async function startsHelp(entry: string): Promise<boolean> {
  const result = await runCommand(
    "tessera start --help",
    process.execPath,
    [entry, "start", "--help"],
    60_000,
  );
  return result.code === 0;
}

/** The runtime for this run, compiled on first use. */
export function tesseraRuntime(): Promise<TesseraRuntime> {
  const given = process.env.TESSERA_BENCH_ENTRY;
  if (given !== undefined && given !== "") {
    runtime ??= Promise.resolve({ entry: given, note: `${given} (TESSERA_BENCH_ENTRY)` });
  }
  runtime ??= build();
  return runtime;
}

/** Tessera's environment with no TESSERA_* variables leaking in from the caller's shell. */
export function tesseraEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("TESSERA_")) env[name] = value;
  }
  return env;
}

/** Whether `tessera start` exists in this checkout (its CLI entry is present). */
export function tesseraSourcesPresent(): boolean {
  const given = process.env.TESSERA_BENCH_ENTRY;
  if (given !== undefined && given !== "") return existsSync(given);
  return existsSync(`${REPO_ROOT}src/cli/main.ts`) || existsSync(`${REPO_ROOT}dist/cli/main.js`);
}
