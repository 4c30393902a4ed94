#!/usr/bin/env node
// Runs every test file (`*.test.ts` under src/ and test/) with Node's test
// runner, TypeScript loaded through tsx, under c8 for coverage. Line coverage of
// src/raft is checked against its floor after the run.
//
//   node scripts/test.mjs                 all tests, with coverage
//   node scripts/test.mjs --no-coverage   all tests, faster
//   node scripts/test.mjs src/raft        only files under the given paths
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const coverage = !args.includes("--no-coverage");
const roots = args.filter((a) => !a.startsWith("--"));
const RAFT_LINE_COVERAGE_MIN = 90;

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "testdata" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith(".test.ts")) out.push(relative(root, path));
  }
  return out;
}

const files = (roots.length > 0 ? roots : ["src", "test"])
  .flatMap((r) => (statSync(join(root, r)).isDirectory() ? walk(join(root, r), []) : [r]))
  .sort();
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}

const concurrency = process.env.TESSERA_TEST_CONCURRENCY ?? "2";
// No test may hang the run: one that takes longer than this fails by name,
// and a file whose tests are done exits even if it left a handle open (a
// failed test that never reached its cleanup). The longest test, the
// sharding growth run, takes a few minutes on 2 busy cores.
const TEST_TIMEOUT_MS = 15 * 60 * 1000;
const nodeArgs = [
  "--import",
  "tsx",
  "--import",
  "./scripts/test-preload.mjs",
  "--test",
  `--test-concurrency=${concurrency}`,
  `--test-timeout=${TEST_TIMEOUT_MS}`,
  ...(hasForceExit() ? ["--test-force-exit"] : []),
  ...files,
];
const c8 = join(root, "node_modules/.bin/c8");
/** `--test-force-exit` came with Node 20.14 and 22.0. */
function hasForceExit() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  return major >= 22 || (major === 20 && minor >= 14);
}
const run = (cmd, argv) =>
  spawnSync(cmd, argv, { cwd: root, stdio: "inherit", env: { ...process.env } }).status ?? 1;

let status;
if (coverage) {
  status = run(c8, [
    "--reporter=text-summary",
    "--reports-dir=coverage",
    "--include=src/**",
    "--exclude=src/**/*.test.ts",
    process.execPath,
    ...nodeArgs,
  ]);
  if (status === 0 && files.some((f) => f.startsWith("src/raft"))) {
    console.log(`\nsrc/raft line coverage (floor ${RAFT_LINE_COVERAGE_MIN}%):`);
    status = run(c8, [
      "report",
      "--reporter=text-summary",
      "--reports-dir=coverage",
      "--include=src/raft/**",
      "--exclude=src/**/*.test.ts",
      "--check-coverage",
      `--lines=${RAFT_LINE_COVERAGE_MIN}`,
    ]);
  }
} else {
  status = run(process.execPath, nodeArgs);
}
process.exit(status);
