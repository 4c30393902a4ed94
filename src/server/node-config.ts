/**
 * The configuration a node starts from, whatever produced it (flags,
 * environment, YAML: see src/cli/config.ts). Addresses are resolved, ports are
 * numbers (0 asks the OS for a free one) and limits are checked at startup.
 */
import type { NodeLimits } from "./limits.js";

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
export const LOG_LEVELS: readonly LogLevel[] = [
  "trace",
  "debug",
  "info",
  "warn",
  "error",
  "fatal",
  "silent",
];

/** A member to join through: its bus address. */
export interface JoinAddress {
  readonly host: string;
  readonly port: number;
}

export interface NodeConfig {
  /** Address every listener binds to. */
  readonly bind: string;
  /** RESP port (Redis clients); 0 = any free port. */
  readonly port: number;
  /** HTTP port (/metrics, /healthz, /readyz); 0 = any free port. */
  readonly httpPort: number;
  /** Bus port (node-to-node traffic); 0 = any free port. */
  readonly busPort: number;
  readonly dataDir: string;
  /** Members to join; empty = bootstrap a new cluster. */
  readonly join: readonly JoinAddress[];
  /** Locality labels, e.g. region=eu,zone=a. */
  readonly locality: Readonly<Record<string, string>>;
  /**
   * Range leaders are kept on nodes whose locality has these labels when one
   * of a range's voters does (a cluster-wide choice: give every node the same).
   */
  readonly leaderPreference?: Readonly<Record<string, string>>;
  /** When set, clients must AUTH with it. */
  readonly requirePass?: string;
  readonly logLevel: LogLevel;
  readonly limits: NodeLimits;
  /** Replicas each range should have (default 3). */
  readonly replicationFactor: number;
  /** Accept DEBUG FAULT (bus delay/drop/partition); for tests and drills only. */
  readonly faultInjection: boolean;
  /** A node silent this long is dead: its replicas are rebuilt elsewhere (default 60 s). */
  readonly deadAfterMs?: number;
  /** A range splits past this many keys, bytes, or operations per second. */
  readonly splitKeysMax?: number;
  readonly splitBytesMax?: number;
  readonly splitOpsPerSecMax?: number;
  /** MOVED for cluster clients: auto (connections that asked for the topology), always, never. */
  readonly redirect?: "auto" | "always" | "never";
}
