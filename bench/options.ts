/**
 * Command-line options of `npm run bench` and the two profiles they start
 * from: the full profile (what published figures use) and `--quick` (one
 * run of everything, small key counts and short windows: under three minutes
 * in total). Every figure a workload uses comes from here, so the JSON
 * records exactly what was run.
 */

export const WORKLOAD_IDS = [
  "set-get",
  "ycsb",
  "replicated",
  "failover",
  "recovery",
  "footprint",
] as const;

/**
 * The optional scale group (`--only scale`, or any of its ids): Tessera
 * against itself as ranges multiply — not part of a default run.
 */
export const SCALE_WORKLOAD_IDS = ["scale-ranges", "scale-idle", "scale-move"] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number] | (typeof SCALE_WORKLOAD_IDS)[number];
const ALL_WORKLOAD_IDS: readonly WorkloadId[] = [...WORKLOAD_IDS, ...SCALE_WORKLOAD_IDS];

export function isScaleWorkload(id: string): boolean {
  return (SCALE_WORKLOAD_IDS as readonly string[]).includes(id);
}

export interface Profile {
  /** Repetitions of every measurement; the median is reported. */
  readonly runs: number;
  /** Key space of set-get and YCSB (loaded before measuring). */
  readonly keys: number;
  /** Keys held by the node in recovery and footprint. */
  readonly bulkKeys: number;
  readonly valueBytes: number;
  /** redis-benchmark requests per measured run, without and with pipelining. */
  readonly setGetRequests: number;
  readonly setGetRequestsPipelined: number;
  readonly setGetClients: number;
  readonly ycsbClients: number;
  readonly ycsbPipeline: number;
  readonly ycsbWarmupMs: number;
  readonly ycsbDurationMs: number;
  readonly replicatedClients: readonly number[];
  readonly replicatedWarmupMs: number;
  readonly replicatedDurationMs: number;
  readonly failoverTrials: number;
  /** Load generator worker threads. */
  readonly threads: number;
  // ---- the scale group ----
  /**
   * Closed-loop clients of scale-ranges, one pair of cases (SET, GET) per
   * count: a moderate load, and one that saturates the clusters (their peak).
   */
  readonly scaleClients: readonly number[];
  readonly scaleWarmupMs: number;
  readonly scaleDurationMs: number;
  /** Ranges one node holds in scale-idle (fewer if splitting them exceeds the budget). */
  readonly idleRanges: number;
  /** Longest time scale-idle may spend splitting; it then measures what it has. */
  readonly idleSplitBudgetMs: number;
  /** Length of the idle CPU sample. */
  readonly idleSampleMs: number;
  /** Bytes loaded into the one range scale-move moves. */
  readonly moveBytes: number;
  /** Size of each value scale-move loads. */
  readonly moveValueBytes: number;
}

export interface Options extends Profile {
  readonly quick: boolean;
  readonly only: readonly WorkloadId[];
  /** Targets to run (empty = all). */
  readonly targets: readonly string[];
  readonly outDir: string;
  readonly help: boolean;
}

const defaultThreads = 1;

export const FULL: Profile = {
  runs: 3,
  keys: 100_000,
  bulkKeys: 1_000_000,
  valueBytes: 100,
  setGetRequests: 100_000,
  setGetRequestsPipelined: 500_000,
  setGetClients: 50,
  ycsbClients: 50,
  ycsbPipeline: 1,
  ycsbWarmupMs: 3_000,
  ycsbDurationMs: 15_000,
  replicatedClients: [50, 500],
  replicatedWarmupMs: 3_000,
  replicatedDurationMs: 15_000,
  failoverTrials: 5,
  threads: defaultThreads,
  scaleClients: [50, 800],
  scaleWarmupMs: 3_000,
  scaleDurationMs: 15_000,
  idleRanges: 10_000,
  idleSplitBudgetMs: 30 * 60_000,
  idleSampleMs: 20_000,
  moveBytes: 1024 * 1024 * 1024,
  moveValueBytes: 256 * 1024,
};

export const QUICK: Profile = {
  runs: 1,
  keys: 10_000,
  bulkKeys: 50_000,
  valueBytes: 100,
  setGetRequests: 10_000,
  setGetRequestsPipelined: 50_000,
  setGetClients: 50,
  ycsbClients: 50,
  ycsbPipeline: 1,
  ycsbWarmupMs: 500,
  ycsbDurationMs: 2_000,
  replicatedClients: [50, 500],
  replicatedWarmupMs: 500,
  replicatedDurationMs: 2_500,
  failoverTrials: 2,
  threads: defaultThreads,
  scaleClients: [50],
  scaleWarmupMs: 500,
  scaleDurationMs: 3_000,
  idleRanges: 500,
  idleSplitBudgetMs: 2 * 60_000,
  idleSampleMs: 20_000,
  moveBytes: 32 * 1024 * 1024,
  moveValueBytes: 256 * 1024,
};

export const HELP = `Usage: npm run bench -- [options]

Measures Tessera side by side with redis-server (durable and in-memory),
Redis Cluster and etcd on this machine, in one run, and reports ratios
(> 1 means Tessera is better). Results go to bench/results/latest.{md,json,svg}.

Options:
  --quick              one run of everything with small sizes (< 3 minutes)
  --only LIST          workloads to run, comma-separated, from:
                       ${WORKLOAD_IDS.join(",")}
                       and the optional scale group (not run by default;
                       \`scale\` = all three; results in scale.{md,json,svg}):
                       ${SCALE_WORKLOAD_IDS.join(",")}
  --targets LIST       systems to run, comma-separated, from:
                       tessera,tessera-3,redis-durable,redis-memory,redis-cluster,etcd
                       (scale group: tessera,tessera-3-r1,tessera-3-r3,tessera-3-r64,
                       tessera-3-r1-capped,tessera-3-r64-capped)
  --runs N             repetitions per measurement (median reported; default 3, quick 1)
  --keys N             key count for every workload (default: 100000 for set-get,
                       ycsb and scale-ranges, 1000000 for recovery and footprint)
  --bulk-keys N        key count of recovery and footprint only (default 1000000,
                       quick 50000); applied after --keys
  --threads N          load generator worker threads (default ${defaultThreads})
  --idle-ranges N      ranges one node holds in scale-idle (default 10000, quick 500)
  --move-mib N         MiB loaded into the range scale-move moves (default 1024, quick 32)
  --scale-clients N,…  closed-loop clients of scale-ranges, a SET and a GET case per
                       count (default 50,800: a moderate load and a saturating one;
                       quick 50)
  --out DIR            output directory (default bench/results)
  --help               this text

Peers that are not installed are skipped; install them with
  apt-get install redis-server redis-tools etcd-server etcd-client`;

function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 1) {
    throw new Error(`${flag} needs a positive integer, got ${value ?? "nothing"}`);
  }
  return n;
}

function list(flag: string, value: string | undefined): string[] {
  if (value === undefined || value.startsWith("--"))
    throw new Error(`${flag} needs a comma-separated list`);
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export function parseOptions(argv: readonly string[], defaultOutDir: string): Options {
  const words = [...argv];
  const flags = new Map<string, string | undefined>();
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith("--")) throw new Error(`unexpected argument '${word}' (see --help)`);
    const eq = word.indexOf("=");
    const name = eq === -1 ? word : word.slice(0, eq);
    if (name === "--quick" || name === "--help") {
      flags.set(name, undefined);
      continue;
    }
    if (
      ![
        "--only",
        "--targets",
        "--runs",
        "--keys",
        "--bulk-keys",
        "--threads",
        "--out",
        "--idle-ranges",
        "--move-mib",
        "--scale-clients",
      ].includes(name)
    ) {
      throw new Error(`unknown option ${name} (see --help)`);
    }
    flags.set(name, eq === -1 ? words[++i] : word.slice(eq + 1));
  }
  const quick = flags.has("--quick");
  let profile: Profile = quick ? QUICK : FULL;
  if (flags.has("--runs"))
    profile = { ...profile, runs: positiveInt("--runs", flags.get("--runs")) };
  if (flags.has("--keys")) {
    const keys = positiveInt("--keys", flags.get("--keys"));
    profile = { ...profile, keys, bulkKeys: keys };
  }
  if (flags.has("--bulk-keys"))
    profile = { ...profile, bulkKeys: positiveInt("--bulk-keys", flags.get("--bulk-keys")) };
  if (flags.has("--threads"))
    profile = { ...profile, threads: positiveInt("--threads", flags.get("--threads")) };
  if (flags.has("--idle-ranges"))
    profile = { ...profile, idleRanges: positiveInt("--idle-ranges", flags.get("--idle-ranges")) };
  if (flags.has("--move-mib"))
    profile = {
      ...profile,
      moveBytes: positiveInt("--move-mib", flags.get("--move-mib")) * 1024 * 1024,
    };
  if (flags.has("--scale-clients"))
    profile = {
      ...profile,
      scaleClients: list("--scale-clients", flags.get("--scale-clients")).map((n) =>
        positiveInt("--scale-clients", n),
      ),
    };
  const only = flags.has("--only")
    ? list("--only", flags.get("--only")).flatMap((id) =>
        id === "scale" ? [...SCALE_WORKLOAD_IDS] : [id],
      )
    : [...WORKLOAD_IDS];
  for (const id of only) {
    if (!(ALL_WORKLOAD_IDS as readonly string[]).includes(id)) {
      throw new Error(
        `unknown workload '${id}'; choose from ${ALL_WORKLOAD_IDS.join(",")} or scale`,
      );
    }
  }
  const out = flags.get("--out");
  if (flags.has("--out") && (out === undefined || out === ""))
    throw new Error("--out needs a directory");
  return {
    ...profile,
    quick,
    only: only as WorkloadId[],
    targets: flags.has("--targets") ? list("--targets", flags.get("--targets")) : [],
    outDir: out ?? defaultOutDir,
    help: flags.has("--help"),
  };
}
