/**
 * Footprint probes: a process's resident set size from /proc/PID/status
 * (VmRSS and its anonymous part RssAnon, summed over the process and its
 * descendants so a server that forks helpers is counted whole) and the bytes a directory tree occupies on disk,
 * both as allocated blocks (what the disk pays) and as apparent file sizes;
 * and the CPU time a process used (/proc/PID/stat).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { runCommand } from "./children.js";

let clockTicksPerSecond: number | undefined;

async function ticksPerSecond(): Promise<number> {
  if (clockTicksPerSecond === undefined) {
    const r = await runCommand("getconf", "getconf", ["CLK_TCK"], 5_000).catch(() => undefined);
    const n = Number(r?.stdout.trim());
    clockTicksPerSecond = Number.isInteger(n) && n > 0 ? n : 100;
  }
  return clockTicksPerSecond;
}

/** utime + stime of `pid` in seconds (every thread counts: /proc/PID/stat sums them). */
export async function cpuSecondsOf(pid: number): Promise<number> {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / (await ticksPerSecond());
}

/** A `kB` field of /proc/PID/status (VmRSS, RssAnon, …) in bytes, or undefined if the process is gone. */
export function statusBytesOf(pid: number, field: string): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(status);
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text !== "") out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // Gone, or children files not available.
  }
  return out;
}

/**
 * A /proc/PID/status field summed over a process and all its descendants, in
 * bytes: `VmRSS` (everything resident, including file pages a store maps) or
 * `RssAnon` (resident memory not backed by a file).
 */
export function treeStatusBytes(pid: number, field = "VmRSS"): number {
  let total = 0;
  const stack = [pid];
  for (let visited = 0; stack.length > 0 && visited < 1000; visited++) {
    const next = stack.pop()!;
    total += statusBytesOf(next, field) ?? 0;
    stack.push(...childrenOf(next));
  }
  return total;
}

export interface DiskUsage {
  readonly allocatedBytes: number;
  readonly apparentBytes: number;
  readonly files: number;
}

/** Disk usage of a directory tree. */
export function diskUsage(dir: string): DiskUsage {
  let allocatedBytes = 0;
  let apparentBytes = 0;
  let files = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop()!;
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        stack.push(path);
      } else if (entry.isFile()) {
        const st = statSync(path);
        allocatedBytes += st.blocks * 512;
        apparentBytes += st.size;
        files++;
      }
    }
  }
  return { allocatedBytes, apparentBytes, files };
}
