/**
 * Temporary data directories for the systems under test. They live on a real
 * disk (never tmpfs, where fsync costs nothing and durable figures would lie):
 * under the OS temp dir when that is a disk, otherwise under
 * bench/results/tmp/. Every directory made here is removed at the end of the
 * run, also on errors and signals.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made = new Set<string>();
const fallbackRoot = new URL("../results/tmp/", import.meta.url).pathname;

/** The filesystem type holding `path` (from /proc/mounts; "unknown" if it cannot tell). */
export function filesystemOf(path: string): string {
  try {
    let best = { mount: "", type: "unknown" };
    for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
      const [, mount, type] = line.split(" ");
      if (mount === undefined || type === undefined) continue;
      const inside = path === mount || path.startsWith(mount.endsWith("/") ? mount : `${mount}/`);
      if (inside && mount.length > best.mount.length) best = { mount, type };
    }
    return best.type;
  } catch {
    return "unknown";
  }
}

function tempRoot(): string {
  const osTemp = tmpdir();
  const type = filesystemOf(osTemp);
  if (type !== "tmpfs" && type !== "ramfs") return osTemp;
  mkdirSync(fallbackRoot, { recursive: true });
  return fallbackRoot;
}

/** Makes a fresh empty directory named after `label`; it is removed by `removeTempDirs`. */
export function makeTempDir(label: string): string {
  const dir = mkdtempSync(join(tempRoot(), `tessera-bench-${label}-`));
  made.add(dir);
  return dir;
}

/** Removes one directory made by `makeTempDir`. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  made.delete(dir);
}

/** Removes every directory made by `makeTempDir` (synchronous: safe in an `exit` handler). */
export function removeTempDirs(): void {
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort; a busy directory is left for the OS to clean.
    }
  }
  made.clear();
}

/** The directory temp data dirs are made in (for the report). */
export function tempDirLocation(): { path: string; filesystem: string } {
  const path = tempRoot();
  return { path, filesystem: filesystemOf(path) };
}
