/**
 * What a `RespServer` is built from: where it listens, its limits, the facts
 * INFO reports, a logger and the node's configuration (for CONFIG GET/SET).
 * These types are the contract between the RESP server and the node that
 * constructs it; they change only by adding optional fields.
 *
 * Limits follow STYLE.md §4: named with the qualifier last, kept together, their
 * relations asserted when the server is built (`checkRespLimits`).
 */
import type { Clock } from "../../lib/index.js";
import { assert } from "../../lib/index.js";
import type { RangeSummary, ReadConsistency } from "../../range/types.js";

export interface RespLimits {
  /** Largest bulk string a client may send (Redis proto-max-bulk-len). */
  readonly respBulkBytesMax: number;
  /** Most elements in one multibulk request. */
  readonly respArrayLengthMax: number;
  /** Longest inline (telnet-style) command line. */
  readonly respInlineBytesMax: number;
  /** Most unparsed bytes buffered for one client (Redis client-query-buffer-limit). */
  readonly queryBufferBytesMax: number;
  /** Most connected clients (Redis maxclients). */
  readonly clientsMax: number;
  /**
   * Most commands of one connection in flight at once (parsed, not yet replied).
   * Past it the server stops reading that socket until replies drain, so a
   * pipelining client is slowed, never refused.
   */
  readonly pipelineDepthMax: number;
  /** Most reply bytes waiting in one socket's send buffer before reading pauses. */
  readonly replyBufferBytesMax: number;
}

export const DEFAULT_RESP_LIMITS: RespLimits = {
  respBulkBytesMax: 512 * 1024 * 1024,
  respArrayLengthMax: 1024 * 1024,
  respInlineBytesMax: 64 * 1024,
  queryBufferBytesMax: 1024 * 1024 * 1024,
  clientsMax: 10_000,
  pipelineDepthMax: 1024,
  replyBufferBytesMax: 64 * 1024 * 1024,
};

/** Asserts the relations between limits that the parser relies on. */
export function checkRespLimits(limits: RespLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    assert(
      Number.isSafeInteger(value) && value > 0,
      `RESP limit ${name} must be a positive integer`,
    );
  }
  assert(
    limits.respInlineBytesMax <= limits.queryBufferBytesMax,
    "inline limit exceeds query buffer",
  );
}

/** The pino-style logger the server writes to. */
export interface RespLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * The node's configuration as CONFIG GET/SET see it. The server itself owns the
 * parameters in `RESP_OWNED_CONFIG` (requirepass, maxclients, timeout,
 * proto-max-bulk-len, client-query-buffer-limit) and answers them without asking;
 * every other name (port, bind, databases, appendonly, save, dir, …) goes here.
 */
export interface RespConfigStore {
  /** Every `[name, value]` whose name matches the glob `pattern` (case-insensitive). */
  get(pattern: string): readonly (readonly [string, string])[];
  /**
   * Sets one parameter. Throws a TesseraError: INVALID_ARGUMENT for an unknown
   * name or bad value, READONLY for an immutable one.
   */
  set(name: string, value: string): void;
}

export interface RespServerOptions {
  readonly host: string;
  /** 0 asks the OS for an ephemeral port; `start()` reports the one bound. */
  readonly port: number;
  /** When set, clients must AUTH (Redis requirepass). */
  readonly requirePass?: string;
  readonly limits: RespLimits;
  /** Tessera's version, reported by INFO and HELLO. */
  readonly version: string;
  /** 40 hex characters identifying this process's run (INFO run_id). */
  readonly runId: string;
  readonly dataDir: string;
  readonly logger: RespLogger;
  readonly config: RespConfigStore;
  /** Number of Redis databases (keyspaces) SELECT accepts; default 16. */
  readonly databases?: number;
  /** Close a client idle this long (Redis `timeout`); 0 or absent = never. */
  readonly idleTimeoutSec?: number;
  /** Read level of a new connection; default "strong". */
  readonly defaultConsistency?: ReadConsistency;
  /** Wall and monotonic time; default the system clock. */
  readonly clock?: Clock;
  /** TCP port of the node's HTTP API and bus, shown by INFO when known. */
  readonly httpPort?: number;
  /** The cluster operations of a clustered node (TESSERA NODE/STATUS, DEBUG FAULT, INFO cluster). */
  readonly admin?: RespClusterAdmin;
  /**
   * What Redis Cluster clients see (CLUSTER SLOTS|SHARDS|NODES|INFO, MOVED);
   * absent, the server is a standalone Redis and CLUSTER commands are refused.
   */
  readonly topology?: RespClusterTopology;
  /** When a single-key command answers MOVED instead of being forwarded; default "auto". */
  readonly redirect?: RedirectMode;
}

/**
 * - `auto`: only on connections that showed they understand Redis Cluster (they
 *   asked for the topology, or sent READONLY, READWRITE or ASKING); a plain
 *   client is served wherever it connects, the node forwarding for it;
 * - `always`: on every connection (every client must follow MOVED);
 * - `never`: every request is forwarded.
 */
export type RedirectMode = "auto" | "always" | "never";
export const REDIRECT_MODES: readonly RedirectMode[] = ["auto", "always", "never"];

/** A member node as Redis Cluster replies describe it. */
export interface RespClusterNode {
  /** Tessera node id. */
  readonly id: number;
  /** host:port clients reach its RESP server at; "" when not yet known. */
  readonly respAddress: string;
  /** host:port of its bus (Redis's cluster bus port, `@cport`). */
  readonly busAddress: string;
  readonly state: "active" | "decommissioning" | "removed";
  readonly liveness: "live" | "suspect" | "dead" | "unknown";
  /**
   * A removed node that may still be answering commands clients sent it before
   * its removal (see `REMOVED_NODE_LISTED_MS`): CLUSTER SLOTS keeps naming it.
   */
  readonly leaving?: boolean;
}

/**
 * The cluster as Redis Cluster commands present it: the member nodes and the
 * ranges of the cluster (only keyspace 0, Redis's db 0, appears in replies).
 * Read on every command, so it must be cheap and never stale by more than the
 * node's own view.
 */
export interface RespClusterTopology {
  /** The cluster's id; Redis node ids are derived from it (redis-node-id.ts). */
  clusterId(): string;
  /** This node's Tessera id. */
  myId(): number;
  nodes(): readonly RespClusterNode[];
  /** `KvService.ranges()`: every range, in key order. */
  ranges(): readonly RangeSummary[];
}

/**
 * What the RESP server asks of the cluster layer; plain data in and out, so
 * reply formats stay here. Absent on a node without a cluster (tests).
 */
export interface RespClusterAdmin {
  /** One entry per node: ordered [field, value] pairs. */
  nodeList(): Promise<readonly (readonly (readonly [string, string])[])[]>;
  /** Resolves with a one-line summary; rejects with a TesseraError when refused. */
  removeNode(id: number): Promise<string>;
  decommissionNode(id: number): Promise<string>;
  /** The cluster status as JSON (machine-readable, for `tessera status`). */
  statusJson(): Promise<string>;
  /** DEBUG FAULT <args…>: a one-line result; throws a TesseraError when refused. */
  fault(args: readonly string[]): string;
  /** The RESP address (host:port) of a node, for INFO replication. */
  respAddressOf(nodeId: number): string | undefined;
  /** Splits the range of keyspace 0 holding `slot` at that slot; resolves with the new range's id. */
  splitAtSlot(slot: number): Promise<number>;
  /** Fields of INFO's cluster section. */
  infoCluster(): readonly (readonly [string, string | number])[];
  /** Every range this node holds a replica of, in id order, measured here (INFO's ranges section). */
  localRanges(): readonly RespLocalRange[];
}

/** One range this node holds a replica of, with its load as this replica measures it. */
export interface RespLocalRange {
  readonly rangeId: number;
  readonly role: "leader" | "follower" | "candidate" | "learner" | "unknown";
  /** The span in words (lib/span-text.ts): no commas or equals signs. */
  readonly span: string;
  readonly keys: number;
  /** Estimated from a sample of the range's records. */
  readonly bytes: number;
  readonly opsPerSec: number;
}

/** What `RespServer.stats()` reports, for INFO, metrics and tests. */
export interface RespServerStats {
  readonly connectedClients: number;
  readonly connectionsTotal: number;
  readonly rejectedConnectionsTotal: number;
  readonly commandsTotal: number;
  readonly errorRepliesTotal: number;
  readonly protocolErrorsTotal: number;
  readonly netInputBytesTotal: number;
  readonly netOutputBytesTotal: number;
}
