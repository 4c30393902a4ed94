/**
 * What one RESP load run asks of a worker thread and what it reports back.
 * Plain data only: it crosses the thread boundary by structured clone.
 */
import type { HistogramSnapshot } from "./histogram.js";
import type { KeyChoice } from "./key-choice.js";

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface RespLoadSpec {
  /** Nodes to connect to. Every logical client opens one connection per node it may use. */
  readonly nodes: readonly Endpoint[];
  /**
   * Cluster routing: owner node index per slot (length 16384), or null when
   * the target is not sharded (each client then talks to one node, clients
   * spread round-robin over `nodes`).
   */
  readonly slotOwner: readonly number[] | null;
  /** Logical clients (closed loops) run by this worker. */
  readonly clients: number;
  /** Offset of this worker's first client among all clients (spreads clients over nodes). */
  readonly clientOffset: number;
  /** Commands each client keeps in flight (1 = no pipelining). */
  readonly pipeline: number;
  readonly keyCount: number;
  readonly valueBytes: number;
  /** Fraction of operations that are GETs; the rest are SETs. */
  readonly readFraction: number;
  readonly keyChoice: KeyChoice;
  readonly zipfTheta: number;
  /** First key index for `sequential` key choice. */
  readonly sequentialStart: number;
  readonly seed: number;
  /** Operations issued before measurement starts are warm-up and not counted. */
  readonly warmupMs: number;
  /** Length of the measured window; 0 = until `opsMax` operations are done. */
  readonly durationMs: number;
  /** Upper bound on operations issued (0 = no bound besides time). */
  readonly opsMax: number;
  /** Hard limit on the whole run, including connecting and draining. */
  readonly timeoutMs: number;
}

export interface LoadResult {
  /** Operations completed successfully inside the measured window. */
  readonly ops: number;
  readonly reads: number;
  readonly writes: number;
  /** Error replies and operations lost to closed connections or the time limit. */
  readonly errors: number;
  readonly errorSamples: readonly string[];
  /** Length of the measured window in milliseconds. */
  readonly measuredMs: number;
  readonly histogram: HistogramSnapshot;
}
