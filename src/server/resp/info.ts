/**
 * The INFO text: Redis's sections and field names (so tools that scrape INFO,
 * from ioredis's ready check to monitoring agents, find what they expect),
 * with Tessera's own facts added as `tessera_*` fields. `redis_version` says
 * which Redis Tessera is compatible with; `tessera_version` what it is.
 * Tessera's own sections (`ranges`: this node's replicas, info-ranges.ts) are
 * among the defaults, so plain INFO shows them too.
 */
import { arch, type as osType, release } from "node:os";
import type { ServerView } from "./command-spec.js";
import { REDIS_COMPATIBLE_VERSION } from "./commands/connection.js";
import { rangesSection } from "./info-ranges.js";

type Section = readonly (readonly [string, string | number])[];

const DEFAULT_SECTIONS = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "modules",
  "errorstats",
  "cluster",
  "ranges",
  "keyspace",
];
const ALL_SECTIONS = DEFAULT_SECTIONS;

function human(bytes: number): string {
  const units = ["B", "K", "M", "G", "T"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes}B` : `${v.toFixed(2)}${units[u]}`;
}

function serverSection(s: ServerView): Section {
  const nowMs = s.nowMs();
  const uptimeSec = Math.floor((nowMs - s.startedAtMs) / 1000);
  return [
    ["redis_version", REDIS_COMPATIBLE_VERSION],
    ["tessera_version", s.version],
    ["redis_git_sha1", "00000000"],
    ["redis_git_dirty", 0],
    ["redis_build_id", "0"],
    ["redis_mode", s.topology !== undefined ? "cluster" : "standalone"],
    ["os", `${osType()} ${release()} ${arch()}`],
    ["arch_bits", 64],
    ["monotonic_clock", "POSIX clock_gettime"],
    ["multiplexing_api", "epoll"],
    ["atomicvar_api", "c11-builtin"],
    ["gcc_version", "0.0.0"],
    ["process_id", process.pid],
    ["process_supervised", "no"],
    ["run_id", s.runId],
    ["tcp_port", s.port],
    ["server_time_usec", nowMs * 1000],
    ["uptime_in_seconds", uptimeSec],
    ["uptime_in_days", Math.floor(uptimeSec / 86400)],
    ["hz", 10],
    ["configured_hz", 10],
    ["lru_clock", Math.floor(nowMs / 1000) % (1 << 24)],
    ["executable", process.argv[1] ?? ""],
    ["config_file", ""],
    ["io_threads_active", 0],
    ["tessera_node_id", s.service.status().nodeId],
    ["tessera_data_dir", s.dataDir],
  ];
}

function clientsSection(s: ServerView): Section {
  const stats = s.statsInfo();
  return [
    ["connected_clients", s.clients().length],
    ["cluster_connections", 0],
    ["maxclients", stats.maxclients ?? 0],
    ["client_recent_max_input_buffer", stats.client_recent_max_input_buffer ?? 0],
    ["client_recent_max_output_buffer", 0],
    ["blocked_clients", 0],
    ["tracking_clients", 0],
    ["clients_in_timeout_table", 0],
  ];
}

function memorySection(): Section {
  const m = process.memoryUsage();
  return [
    ["used_memory", m.heapUsed],
    ["used_memory_human", human(m.heapUsed)],
    ["used_memory_rss", m.rss],
    ["used_memory_rss_human", human(m.rss)],
    ["used_memory_peak", m.heapTotal],
    ["used_memory_peak_human", human(m.heapTotal)],
    ["used_memory_dataset", m.heapUsed],
    ["total_system_memory", 0],
    ["maxmemory", 0],
    ["maxmemory_human", "0B"],
    ["maxmemory_policy", "noeviction"],
    ["mem_fragmentation_ratio", (m.rss / Math.max(1, m.heapUsed)).toFixed(2)],
    ["mem_allocator", "v8"],
  ];
}

function persistenceSection(s: ServerView): Section {
  const st = s.service.status();
  const lastSaveSec = Math.floor((st.lastSyncAtMs > 0 ? st.lastSyncAtMs : s.startedAtMs) / 1000);
  return [
    ["loading", 0],
    ["async_loading", 0],
    ["current_cow_peak", 0],
    ["rdb_changes_since_last_save", 0],
    ["rdb_bgsave_in_progress", 0],
    ["rdb_last_save_time", lastSaveSec],
    ["rdb_last_bgsave_status", "ok"],
    ["aof_enabled", 1],
    ["aof_rewrite_in_progress", 0],
    ["aof_last_write_status", "ok"],
    ["tessera_store_bytes", st.storeBytes],
    ["tessera_writes_total", st.writesTotal],
    ["tessera_last_sync_ms", st.lastSyncAtMs],
  ];
}

function statsSection(s: ServerView): Section {
  const st = s.statsInfo();
  const names = [
    "total_connections_received",
    "total_commands_processed",
    "instantaneous_ops_per_sec",
    "total_net_input_bytes",
    "total_net_output_bytes",
    "instantaneous_input_kbps",
    "instantaneous_output_kbps",
    "rejected_connections",
    "expired_keys",
    "evicted_keys",
    "keyspace_hits",
    "keyspace_misses",
    "total_error_replies",
    "unexpected_error_replies",
    "tessera_protocol_errors",
  ];
  return names.map((n) => [n, st[n] ?? 0] as const);
}

function replicationSection(s: ServerView): Section {
  const st = s.service.status();
  const others = st.replicas.filter((r) => r.nodeId !== st.nodeId);
  const leading = st.role === "leader";
  const lines: [string, string | number][] = [["role", leading ? "master" : "slave"]];
  if (!leading) {
    const [host, port] = splitAddress(s.admin?.respAddressOf(st.leaderId) ?? "");
    lines.push(
      ["master_host", host],
      ["master_port", port],
      ["master_link_status", st.leaderId !== 0 ? "up" : "down"],
      ["slave_repl_offset", st.appliedIndex],
      ["slave_read_only", 1],
    );
  }
  lines.push(["connected_slaves", leading ? others.length : 0]);
  if (leading) {
    others.forEach((r, i) => {
      const [ip, port] = splitAddress(s.admin?.respAddressOf(r.nodeId) ?? r.address);
      const lag = Math.max(0, st.commitIndex - r.matchIndex);
      const state = r.state === "replicate" || r.state === "online" ? "online" : r.state;
      lines.push([
        `slave${i}`,
        `ip=${ip},port=${port},state=${state},offset=${r.matchIndex},lag=${lag}`,
      ]);
    });
  }
  lines.push(
    ["master_failover_state", "no-failover"],
    ["master_repl_offset", st.appliedIndex],
    ["tessera_raft_role", st.role],
    ["tessera_raft_term", st.term],
    ["tessera_leader_id", st.leaderId],
    ["tessera_commit_index", st.commitIndex],
    ["tessera_applied_index", st.appliedIndex],
  );
  return lines;
}

/** host:port → [host, port]; a missing address is ["", 0]. */
function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(":");
  if (at < 0) return [address, 0];
  return [address.slice(0, at), Number(address.slice(at + 1)) || 0];
}

function cpuSection(): Section {
  const u = process.cpuUsage();
  return [
    ["used_cpu_sys", (u.system / 1e6).toFixed(6)],
    ["used_cpu_user", (u.user / 1e6).toFixed(6)],
  ];
}

function keyspaceSection(s: ServerView): Section {
  return s.service
    .keyspaceStats()
    .filter((k) => k.keys > 0 && k.ks < s.databases)
    .sort((a, b) => a.ks - b.ks)
    .map((k) => [`db${k.ks}`, `keys=${k.keys},expires=${k.expires},avg_ttl=0`] as const);
}

function section(name: string, s: ServerView): Section | undefined {
  switch (name) {
    case "server":
      return serverSection(s);
    case "clients":
      return clientsSection(s);
    case "memory":
      return memorySection();
    case "persistence":
      return persistenceSection(s);
    case "stats":
      return statsSection(s);
    case "replication":
      return replicationSection(s);
    case "cpu":
      return cpuSection();
    case "modules":
    case "errorstats":
      return [];
    case "cluster":
      return [
        ["cluster_enabled", s.topology !== undefined ? 1 : 0],
        ...(s.admin?.infoCluster() ?? []),
      ];
    case "ranges":
      // Only a clustered node knows its replicas; elsewhere the section is empty.
      return s.admin === undefined ? [] : rangesSection(s.admin.localRanges());
    case "keyspace":
      return keyspaceSection(s);
    default:
      return undefined;
  }
}

/** Which sections INFO's arguments ask for, in Redis's order. */
export function infoSections(args: readonly string[]): string[] {
  if (args.length === 0) return DEFAULT_SECTIONS;
  const wanted = new Set<string>();
  for (const a of args.map((x) => x.toLowerCase())) {
    const group =
      a === "all" || a === "everything" ? ALL_SECTIONS : a === "default" ? DEFAULT_SECTIONS : [a];
    for (const x of group) wanted.add(x);
  }
  const known = ALL_SECTIONS.filter((x) => wanted.has(x));
  return known;
}

export function buildInfo(s: ServerView, sections: readonly string[]): string {
  const blocks: string[] = [];
  for (const name of sections) {
    const fields = section(name, s);
    if (fields === undefined) continue;
    const title =
      name === "cpu"
        ? "CPU"
        : name === "errorstats"
          ? "Errorstats"
          : name[0]!.toUpperCase() + name.slice(1);
    blocks.push(
      [`# ${title}`, ...fields.map(([k, v]) => `${k}:${v}`)].map((l) => `${l}\r\n`).join(""),
    );
  }
  return blocks.join("\r\n");
}
