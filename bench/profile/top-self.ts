/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per
 * function (sum of the sample intervals whose leaf is that node, merged by
 * function name, file and line), top N, as a Markdown table.
 *
 *   node --import tsx bench/profile/top-self.ts PROFILE.cpuprofile [N]
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface SelfTime {
  readonly name: string;
  readonly where: string;
  readonly micros: number;
  readonly share: number;
}

function where(frame: CallFrame): string {
  if (frame.url === "") return "";
  const url = frame.url.replace(/^file:\/\//, "");
  const short = url.includes("/tessera-dist/")
    ? url.slice(url.indexOf("/tessera-dist/") + "/tessera-dist/".length)
    : url.includes("/profile-dist/")
      ? url.slice(url.indexOf("/profile-dist/") + "/profile-dist/".length)
      : url.includes("node_modules/")
        ? url.slice(url.lastIndexOf("node_modules/"))
        : url;
  return `${short}:${frame.lineNumber + 1}`;
}

export function topSelf(profile: CpuProfile, n: number): { total: number; rows: SelfTime[] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const sums = new Map<string, { name: string; where: string; micros: number }>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the interval after it.
    const delta = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i]!);
    if (node === undefined || delta < 0) continue;
    total += delta;
    const name = node.callFrame.functionName || "(anonymous)";
    const key = `${name}|${node.callFrame.url}|${node.callFrame.lineNumber}`;
    const entry = sums.get(key) ?? { name, where: where(node.callFrame), micros: 0 };
    entry.micros += delta;
    sums.set(key, entry);
  }
  const rows = [...sums.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, n)
    .map((r) => ({ ...r, share: total > 0 ? r.micros / total : 0 }));
  return { total, rows };
}

function main(): void {
  const [file, count] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write("usage: top-self.ts PROFILE.cpuprofile [N]\n");
    process.exitCode = 2;
    return;
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const { total, rows } = topSelf(profile, Number(count ?? 15));
  const lines = [
    `profiled ${(total / 1e6).toFixed(1)} s of samples`,
    "",
    "| # | self ms | self % | function | where |",
    "|---|---|---|---|---|",
    ...rows.map(
      (r, i) =>
        `| ${i + 1} | ${(r.micros / 1000).toFixed(0)} | ${(r.share * 100).toFixed(1)} | \`${r.name}\` | ${r.where} |`,
    ),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  main();
}
