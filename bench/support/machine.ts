/**
 * What the figures were measured on: CPU model and core count, memory,
 * kernel, Node.js version, the versions of the peers, and the filesystem the
 * data directories sit on. Stored with every result so ratios can be read in
 * context.
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { runCommand } from "./children.js";
import { tempDirLocation } from "./temp-dirs.js";

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly kernel: string;
  readonly node: string;
  readonly loadAverage: readonly number[];
  readonly dataDirRoot: string;
  readonly dataDirFilesystem: string;
  readonly versions: Record<string, string>;
}

async function versionOf(command: string, args: string[], pattern: RegExp): Promise<string> {
  try {
    const result = await runCommand(`${command} --version`, command, args, 10_000);
    const match = pattern.exec(result.output);
    return match?.[1] ?? "unknown";
  } catch {
    return "not installed";
  }
}

function kernel(): string {
  try {
    return readFileSync("/proc/version", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return release();
  }
}

export async function machineInfo(): Promise<MachineInfo> {
  const cpu = cpus();
  const temp = tempDirLocation();
  return {
    cpuModel: cpu[0]?.model ?? "unknown",
    cores: cpu.length,
    memoryBytes: totalmem(),
    kernel: kernel(),
    node: process.version,
    loadAverage: loadavg(),
    dataDirRoot: temp.path,
    dataDirFilesystem: temp.filesystem,
    versions: {
      "redis-server": await versionOf("redis-server", ["--version"], /v=(\S+)/),
      "redis-benchmark": await versionOf("redis-benchmark", ["--version"], /redis-benchmark (\S+)/),
      etcd: await versionOf("etcd", ["--version"], /etcd Version: (\S+)/),
      etcdctl: await versionOf("etcdctl", ["version"], /etcdctl version: (\S+)/),
    },
  };
}
