/**
 * Prometheus text for the node's metrics, built by hand from the counters the
 * layers already keep (store commits, replica progress, RESP traffic); no
 * registry to keep in sync. Names follow Prometheus conventions: `_total` for
 * counters, base units (seconds, bytes).
 */
import type { KeyspaceStats, ServiceStatus, StoreHostStats } from "../range/index.js";
import type { StoreStats } from "../storage/index.js";
import type { BusStats } from "../transport/index.js";
import type { LoopWatchStats } from "./loop-watch.js";
import type { RespServerStats } from "./resp/index.js";

export interface MetricsInput {
  readonly status: ServiceStatus;
  readonly store: StoreStats;
  readonly host: StoreHostStats;
  readonly resp: RespServerStats;
  readonly keyspaces: readonly KeyspaceStats[];
  readonly ready: boolean;
  /** The cluster bus's traffic (absent before the bus is up). */
  readonly bus?: BusStats;
  /** How late the event loop runs (loop-watch.ts). */
  readonly loop?: LoopWatchStats;
}

type Kind = "counter" | "gauge";

export function renderMetrics(m: MetricsInput): string {
  const lines: string[] = [];
  const metric = (name: string, kind: Kind, help: string, samples: [string, number][] | number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${kind}`);
    if (typeof samples === "number") lines.push(`${name} ${samples}`);
    else for (const [labels, v] of samples) lines.push(`${name}${labels} ${v}`);
  };
  const s = m.status;
  metric(
    "tessera_ready",
    "gauge",
    "1 when every hosted range has a leader and applied its log.",
    m.ready ? 1 : 0,
  );
  metric(
    "tessera_raft_is_leader",
    "gauge",
    "1 when this node leads range 1.",
    s.role === "leader" ? 1 : 0,
  );
  metric("tessera_raft_term", "gauge", "Raft term of range 1.", s.term);
  metric("tessera_raft_commit_index", "gauge", "Commit index of range 1.", s.commitIndex);
  metric("tessera_raft_applied_index", "gauge", "Applied index of range 1.", s.appliedIndex);
  metric(
    "tessera_writes_applied_total",
    "counter",
    "Writes proposed here and applied.",
    s.writesTotal,
  );
  metric(
    "tessera_proposals_pending",
    "gauge",
    "Writes waiting to be applied.",
    m.host.pendingWrites,
  );
  metric(
    "tessera_store_commits_total",
    "counter",
    "Store write transactions (one fsync each).",
    m.store.commitsTotal,
  );
  metric(
    "tessera_store_commit_seconds_total",
    "counter",
    "Time spent committing store transactions.",
    m.store.commitMsTotal / 1000,
  );
  metric(
    "tessera_store_entries_appended_total",
    "counter",
    "Raft log entries appended to the store.",
    m.store.entriesAppendedTotal,
  );
  metric("tessera_store_bytes", "gauge", "Size of the store's data file.", m.store.storeBytes);
  if (m.loop) {
    metric(
      "tessera_event_loop_delay_max_seconds",
      "gauge",
      "Worst event-loop delay over the last second.",
      m.loop.delayMaxSeconds,
    );
    metric(
      "tessera_event_loop_stalls_total",
      "counter",
      "Seconds in which the event loop stalled for half an election timeout or more.",
      m.loop.stallsTotal,
    );
  }
  metric(
    "tessera_log_journal_records",
    "gauge",
    "Raft log entries in the log journal, not yet moved to their ranges' logs.",
    m.store.journalRecords,
  );
  metric(
    "tessera_log_journal_checkpoints_total",
    "counter",
    "Moves of the log journal's entries to their ranges' logs.",
    m.store.journalCheckpointsTotal,
  );
  metric(
    "tessera_raft_readies_total",
    "counter",
    "Raft Ready structs processed.",
    m.host.readiesTotal,
  );
  metric(
    "tessera_scheduler_gather_pauses_total",
    "counter",
    "Pauses of GATHER_MS after a round that carried many ranges' Readies, so that the next round gathers more.",
    m.host.gatherPausesTotal,
  );
  metric(
    "tessera_scheduler_rounds_total",
    "counter",
    "Scheduler rounds (each drains the Ready of every range with work into one store transaction).",
    m.host.roundsTotal,
  );
  metric(
    "tessera_raft_messages_sent_total",
    "counter",
    "Raft messages of ranges sent to other nodes.",
    m.host.raftMessagesSentTotal,
  );
  metric(
    "tessera_raft_replica_ticks_total",
    "counter",
    "Raft ticks of awake replicas (an asleep range is not ticked).",
    m.host.replicaTicksTotal,
  );
  metric(
    "tessera_raft_ticks_caught_up_total",
    "counter",
    "Ticks run to catch up with the monotonic clock after a late tick timer (a stopped process, a stalled event loop).",
    m.host.ticksCaughtUpTotal,
  );
  metric("tessera_ranges", "gauge", "Replicas hosted by this node.", m.host.rangesTotal);
  metric(
    "tessera_ranges_uninitialized",
    "gauge",
    "Replicas hosted by this node that hold nothing yet (made by a leader's message, awaiting a snapshot).",
    m.host.rangesUninitialized,
  );
  metric(
    "tessera_replicas_uninitialized_dropped_total",
    "counter",
    "Uninitialized replicas let go after going without a message for uninitializedIdleMs (a stale leader made them).",
    m.host.uninitializedDroppedTotal,
  );
  metric(
    "tessera_ranges_quiesced",
    "gauge",
    "Replicas hosted by this node that are asleep (idle: no ticks, no heartbeats).",
    m.host.rangesQuiesced,
  );
  if (m.bus !== undefined) {
    const peers = Object.values(m.bus.peers);
    const sum = (f: (p: (typeof peers)[number]) => number) => peers.reduce((a, p) => a + f(p), 0);
    metric(
      "tessera_bus_frames_sent_total",
      "counter",
      "Frames sent to other nodes (one frame carries every Raft message of a round for a peer).",
      sum((p) => p.framesSent),
    );
    metric(
      "tessera_bus_bytes_sent_total",
      "counter",
      "Bytes sent to other nodes.",
      sum((p) => p.bytesSent),
    );
    metric(
      "tessera_bus_socket_writes_total",
      "counter",
      "Socket writes to other nodes (one per flush, however many frames it carried).",
      sum((p) => p.socketWrites),
    );
    metric(
      "tessera_bus_frames_received_total",
      "counter",
      "Frames received from other nodes.",
      sum((p) => p.framesReceived),
    );
  }
  metric(
    "tessera_keys_expired_total",
    "counter",
    "Keys deleted by background expiry.",
    m.host.keysExpiredTotal,
  );
  metric(
    "tessera_expiry_looks_total",
    "counter",
    "Looks at a range's expiry index by background expiry (a range written without TTLs is not looked at).",
    m.host.expiryLooksTotal,
  );
  metric(
    "tessera_keyspace_keys",
    "gauge",
    "Keys per keyspace (Redis database).",
    m.keyspaces.map((k) => [`{keyspace="${k.ks}"}`, k.keys]),
  );
  metric(
    "tessera_keyspace_expires",
    "gauge",
    "Keys with an expiry per keyspace.",
    m.keyspaces.map((k) => [`{keyspace="${k.ks}"}`, k.expires]),
  );
  metric(
    "tessera_resp_connected_clients",
    "gauge",
    "Connected RESP clients.",
    m.resp.connectedClients,
  );
  metric(
    "tessera_resp_connections_total",
    "counter",
    "RESP connections accepted.",
    m.resp.connectionsTotal,
  );
  metric(
    "tessera_resp_commands_total",
    "counter",
    "RESP commands processed.",
    m.resp.commandsTotal,
  );
  metric(
    "tessera_resp_error_replies_total",
    "counter",
    "RESP error replies sent.",
    m.resp.errorRepliesTotal,
  );
  const mem = process.memoryUsage();
  metric("process_resident_memory_bytes", "gauge", "Resident memory size.", mem.rss);
  metric("nodejs_heap_used_bytes", "gauge", "V8 heap in use.", mem.heapUsed);
  return `${lines.join("\n")}\n`;
}
