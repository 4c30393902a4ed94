#!/usr/bin/env node
// Completes package-lock.json with entries for platform-specific optional
// packages the registry mirror of this build machine does not serve (e.g. the
// macOS and Windows builds of @biomejs/cli-*). npm records only what it could
// resolve, and `npm ci` then refuses the lock as out of sync. Each stub names
// the package's os/cpu (and libc), so npm skips it on every other platform.
// Run after any `npm install` that rewrites the lock:
//   node scripts/lock-platform-stubs.mjs
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;
const OSES = ["android", "darwin", "freebsd", "linux", "openbsd", "sunos", "win32", "aix"];
const CPUS = ["arm64", "x64", "arm", "ia32", "ppc64", "s390x", "riscv64", "loong64"];
let added = 0;
for (const meta of Object.values(packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key]) continue;
    const base = name.split("/").pop();
    const parts = base.split("-");
    const os = OSES.find((o) => parts.includes(o));
    const cpu = CPUS.find((c) => parts.includes(c));
    if (!os || !cpu) continue; // not a platform build: leave it for npm to report
    packages[key] = {
      version,
      ...(meta.dev ? { dev: true } : {}),
      optional: true,
      os: [os],
      cpu: [cpu],
      ...(parts.includes("musl") ? { libc: ["musl"] } : {}),
    };
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-platform-stubs: ${added} entries added`);
