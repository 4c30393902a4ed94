/**
 * Runs redis-benchmark (the C client that ships with Redis) and parses its
 * `--csv` output. Redis 7 prints one row per test:
 * `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"`.
 */
import { runCommand } from "../support/children.js";

export interface RedisBenchmarkRow {
  readonly test: string;
  readonly opsPerSec: number;
  readonly avgMs: number;
  readonly minMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface RedisBenchmarkRun {
  readonly host: string;
  readonly port: number;
  readonly tests: readonly string[];
  readonly clients: number;
  readonly requests: number;
  readonly keyspace: number;
  readonly valueBytes: number;
  readonly pipeline: number;
  readonly timeoutMs: number;
}

function unquote(cell: string): string {
  return cell.trim().replace(/^"|"$/g, "");
}

/** Parses redis-benchmark's CSV; rows whose numbers do not parse are rejected. */
export function parseRedisBenchmarkCsv(text: string): RedisBenchmarkRow[] {
  const lines = text.split(/\r?\n/).filter((line) => line.startsWith('"'));
  const header = lines[0]?.split(",").map(unquote) ?? [];
  const column = (name: string) => header.indexOf(name);
  const wanted = ["test", "rps", "avg_latency_ms", "min_latency_ms", "p50_latency_ms"];
  for (const name of [...wanted, "p95_latency_ms", "p99_latency_ms", "max_latency_ms"]) {
    if (column(name) === -1)
      throw new Error(`redis-benchmark CSV lacks column ${name}: ${lines[0]}`);
  }
  return lines.slice(1).map((line) => {
    const cells = line.split(",").map(unquote);
    const num = (name: string) => {
      const value = Number(cells[column(name)]);
      if (!Number.isFinite(value)) throw new Error(`redis-benchmark CSV: bad ${name} in ${line}`);
      return value;
    };
    return {
      test: cells[column("test")]!,
      opsPerSec: num("rps"),
      avgMs: num("avg_latency_ms"),
      minMs: num("min_latency_ms"),
      p50Ms: num("p50_latency_ms"),
      p95Ms: num("p95_latency_ms"),
      p99Ms: num("p99_latency_ms"),
      maxMs: num("max_latency_ms"),
    };
  });
}

export async function runRedisBenchmark(run: RedisBenchmarkRun): Promise<RedisBenchmarkRow[]> {
  const args = [
    "-h",
    run.host,
    "-p",
    String(run.port),
    "-t",
    run.tests.join(","),
    "-c",
    String(run.clients),
    "-n",
    String(run.requests),
    "-r",
    String(run.keyspace),
    "-d",
    String(run.valueBytes),
    "-P",
    String(run.pipeline),
    "--csv",
  ];
  const result = await runCommand("redis-benchmark", "redis-benchmark", args, run.timeoutMs);
  if (result.code !== 0) {
    throw new Error(`redis-benchmark exited with ${result.code}: ${result.output.slice(-500)}`);
  }
  const rows = parseRedisBenchmarkCsv(result.stdout);
  if (rows.length !== run.tests.length) {
    throw new Error(`redis-benchmark printed ${rows.length} rows for ${run.tests.length} tests`);
  }
  return rows;
}
