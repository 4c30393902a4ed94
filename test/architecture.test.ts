/**
 * The layer rules of DESIGN.md §3, checked on every file under src/:
 * - a folder imports only the folders its arrow allows;
 * - another folder is entered only through its index.ts (a file that lives in
 *   the folder's own `types` module is allowed where the arrow says "types");
 * - the pure folders (lib, raft, kv, txn, cluster/planner) use no `node:*`
 *   module, no lmdb, no wall clock, no Math.random, no timers and no `async`.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { describe, it } from "node:test";

const SRC = new URL("../src", import.meta.url).pathname;

/** Which top-level folders each folder may import. */
const ALLOWED: Record<string, readonly string[]> = {
  lib: [],
  raft: ["lib"],
  storage: ["lib", "raft"],
  kv: ["lib", "storage"],
  txn: ["lib", "kv"],
  api: ["lib"],
  transport: ["lib", "raft", "api"],
  range: ["lib", "raft", "storage", "kv", "txn", "transport"],
  cluster: ["lib", "raft", "kv", "range", "transport"],
  server: ["lib", "raft", "storage", "kv", "txn", "transport", "range", "cluster", "api"],
  client: ["lib", "api"],
  cli: ["lib", "api", "client", "server"],
  ui: ["api", "client"],
};

const PURE = ["lib", "raft", "kv", "txn", "cluster/planner"];
const IMPURE_PATTERNS: [RegExp, string][] = [
  [/from\s+["']node:/, "imports a node:* module"],
  [/from\s+["']lmdb["']/, "imports lmdb"],
  [/\bDate\.now\s*\(/, "reads the wall clock (Date.now)"],
  [/\bnew Date\s*\(\s*\)/, "reads the wall clock (new Date())"],
  [/\bperformance\.now\s*\(/, "reads a clock (performance.now)"],
  [/\bMath\.random\s*\(/, "uses Math.random"],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(/, "uses a timer"],
  [/\basync\s+(function\b|\(|[A-Za-z_$][\w$]*\s*\()/, "uses async"],
  [/\bprocess\./, "touches process"],
];

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === "testdata") continue;
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

function importsOf(text: string): string[] {
  const specs: string[] = [];
  const re = /(?:import|export)\s[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  for (const m of text.matchAll(re)) specs.push((m[1] ?? m[2]) as string);
  return specs;
}

const files = sourceFiles(SRC);

describe("architecture (DESIGN.md §3)", () => {
  it("has source files to check", () => {
    assert.ok(files.length > 0);
  });

  it("keeps every import inside the arrows between layers", () => {
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(SRC, file);
      const layer = rel.split(sep)[0] as string;
      if (!(layer in ALLOWED)) {
        if (rel.includes(sep))
          violations.push(`${rel}: folder '${layer}' is not a layer of DESIGN.md §3`);
        continue;
      }
      for (const spec of importsOf(readFileSync(file, "utf8"))) {
        if (!spec.startsWith(".")) continue;
        const target = relative(SRC, join(file, "..", spec));
        if (target.startsWith("..")) continue;
        const targetLayer = target.split(sep)[0] as string;
        if (targetLayer === layer) continue;
        if (!ALLOWED[layer]?.includes(targetLayer)) {
          violations.push(`${rel}: ${layer} may not import ${targetLayer} (${spec})`);
          continue;
        }
        const inner = target.split(sep).slice(1).join("/");
        if (inner !== "index.js" && inner !== "types.js") {
          violations.push(`${rel}: enters ${targetLayer} other than through its index (${spec})`);
        }
      }
    }
    assert.deepEqual(violations, []);
  });

  it("keeps the pure folders free of I/O, clocks, randomness, timers and async", () => {
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(SRC, file).split(sep).join("/");
      if (!PURE.some((p) => rel.startsWith(`${p}/`))) continue;
      const text = readFileSync(file, "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/\/\/.*$/gm, "");
      for (const [re, what] of IMPURE_PATTERNS) {
        if (re.test(text)) violations.push(`${rel} ${what}`);
      }
    }
    assert.deepEqual(violations, []);
  });
});
