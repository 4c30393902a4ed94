/**
 * A CPU quota for one process: a Linux cgroup of its own with the `cpu`
 * controller's bandwidth limit (cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us`
 * over `cpu.cfs_period_us`), so that the process and every thread it starts
 * get at most `cores` of CPU time per unit of wall time, however many cores
 * the machine has. The scale group uses it to run three nodes as three
 * machines of equal speed would, instead of three processes taking turns on
 * the same cores (bench/README.md).
 *
 * It needs write access to the cgroup file system (root, or a delegated
 * subtree); `cpuQuotaUnavailable` says why not otherwise, and the targets that
 * need it report themselves unavailable.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const V2_ROOT = "/sys/fs/cgroup";
const V1_CPU_ROOT = "/sys/fs/cgroup/cpu";
/**
 * The quota's accounting period. A process that spent its quota waits for the
 * next period, which a machine that is only slower would not make it do: the
 * shorter the period, the closer the quota comes to a slower CPU, and the more
 * often the kernel accounts (its floor is 1 ms). 4 ms keeps a throttled node's
 * pause under a Raft round's fsync or two.
 */
const PERIOD_US = 4_000;
/** The smallest quota the kernel takes per period (1 ms): with a 4 ms period, a quarter of a core. */
const QUOTA_MIN_US = 1_000;

type Layout =
  | { readonly kind: "v2"; readonly root: string }
  | { readonly kind: "v1"; readonly root: string };

let groups = 0;

function layout(): Layout | string {
  if (process.platform !== "linux") return "CPU quotas need Linux cgroups";
  const v2Controllers = join(V2_ROOT, "cgroup.controllers");
  if (existsSync(v2Controllers)) {
    if (!readFileSync(v2Controllers, "utf8").split(/\s+/).includes("cpu"))
      return "the cgroup v2 hierarchy has no cpu controller";
    return { kind: "v2", root: V2_ROOT };
  }
  if (existsSync(join(V1_CPU_ROOT, "cpu.cfs_quota_us"))) return { kind: "v1", root: V1_CPU_ROOT };
  return "no cgroup cpu controller is mounted";
}

function probeGroup(l: Layout): string {
  return join(l.root, `tessera-bench-probe-${process.pid}`);
}

/**
 * Why a CPU quota cannot be set here (null when it can): tries to make a
 * group with a quota and removes it again.
 */
export function cpuQuotaUnavailable(): string | null {
  const l = layout();
  if (typeof l === "string") return l;
  const dir = probeGroup(l);
  try {
    if (l.kind === "v2") enableV2Cpu(l.root);
    mkdirSync(dir);
    writeQuota(l, dir, 0.5);
    return null;
  } catch (error) {
    return `cannot set a CPU quota (${(error as Error).message.split("\n")[0]}): run the bench as root or in a delegated cgroup`;
  } finally {
    try {
      rmdirSync(dir);
    } catch {
      // Never made.
    }
  }
}

function enableV2Cpu(root: string): void {
  const control = join(root, "cgroup.subtree_control");
  if (!readFileSync(control, "utf8").split(/\s+/).includes("cpu")) writeFileSync(control, "+cpu");
}

function writeQuota(l: Layout, dir: string, cores: number): void {
  const quota = Math.max(QUOTA_MIN_US, Math.round(cores * PERIOD_US));
  if (l.kind === "v2") {
    writeFileSync(join(dir, "cpu.max"), `${quota} ${PERIOD_US}`);
  } else {
    writeFileSync(join(dir, "cpu.cfs_period_us"), String(PERIOD_US));
    writeFileSync(join(dir, "cpu.cfs_quota_us"), String(quota));
  }
}

/**
 * Puts process `pid` (all its threads, and those it starts later) under a
 * quota of `cores` (at least `QUOTA_MIN_US` per period). Returns what removes the group once the process is gone
 * (a process still in it is moved back to the root group first).
 */
export function limitCpu(pid: number, cores: number): () => void {
  if (!(cores > 0)) throw new Error(`a CPU quota must be positive, got ${cores}`);
  const l = layout();
  if (typeof l === "string") throw new Error(l);
  if (l.kind === "v2") enableV2Cpu(l.root);
  const dir = join(l.root, `tessera-bench-${process.pid}-${++groups}`);
  mkdirSync(dir);
  try {
    writeQuota(l, dir, cores);
    // cgroup.procs moves the whole thread group (v1 and v2).
    writeFileSync(join(dir, "cgroup.procs"), String(pid));
  } catch (error) {
    rmdirSync(dir);
    throw error;
  }
  return () => {
    try {
      for (const left of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n")) {
        if (left !== "") writeFileSync(join(l.root, "cgroup.procs"), left);
      }
      rmdirSync(dir);
    } catch {
      // Already gone.
    }
  };
}
