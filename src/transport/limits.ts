/**
 * The named limits of the bus (STYLE.md rule 4), kept together with their
 * defaults and checked once when a bus starts (`checkBusLimits`): every limit
 * is a positive integer and the relations between them hold. Exceeding one at
 * run time is an operating error (a dropped Raft message, a call rejected with
 * UNAVAILABLE or LIMIT_EXCEEDED, a connection closed for PROTOCOL), never a
 * crash or an unbounded queue.
 */
import { TesseraError } from "../lib/index.js";

/** The version of the frame layout and payload encodings; a peer with another one is refused. */
export const BUS_PROTOCOL_VERSION = 1;

export interface BusLimits {
  /** Largest frame payload either side accepts; a larger frame closes the connection (PROTOCOL). */
  readonly busFrameBytesMax: number;
  /** Most bytes queued for one connection; past it Raft messages are dropped and calls rejected. */
  readonly busSendQueueBytesMax: number;
  /** Most items queued for one connection, a Raft group counting as one (same consequences as the byte bound). */
  readonly busSendQueueFramesMax: number;
  /** Most calls of this node waiting for a reply, over all peers. */
  readonly busCallsPendingMax: number;
  /** Most calls from other nodes this node serves at once; past it a call fails with UNAVAILABLE. */
  readonly busCallsServingMax: number;
  /** First wait before reconnecting to a peer whose connection failed. */
  readonly busReconnectBackoffMsMin: number;
  /** Longest wait between reconnection attempts (the backoff doubles up to it). */
  readonly busReconnectBackoffMsMax: number;
  /** How long a TCP connect may take. */
  readonly busConnectTimeoutMs: number;
  /** How long either side waits for the other's hello. */
  readonly busHandshakeTimeoutMs: number;
  /** A connection that received nothing for this long is sent a ping. */
  readonly busPingIdleMs: number;
  /** A connection that received nothing (not even a pong) for this long is closed as half-open. */
  readonly busDeadIdleMs: number;
}

export const DEFAULT_BUS_LIMITS: BusLimits = {
  busFrameBytesMax: 64 * 1024 * 1024,
  busSendQueueBytesMax: 128 * 1024 * 1024,
  busSendQueueFramesMax: 100_000,
  busCallsPendingMax: 10_000,
  busCallsServingMax: 10_000,
  busReconnectBackoffMsMin: 50,
  busReconnectBackoffMsMax: 5_000,
  busConnectTimeoutMs: 5_000,
  busHandshakeTimeoutMs: 5_000,
  busPingIdleMs: 2_000,
  busDeadIdleMs: 10_000,
};

/** Throws INVALID_ARGUMENT naming the first limit that is not a positive integer or breaks a relation. */
export function checkBusLimits(limits: BusLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new TesseraError(
        "INVALID_ARGUMENT",
        `limit ${name} must be a positive integer, got ${value}`,
      );
    }
  }
  const relation = (ok: boolean, text: string): void => {
    if (!ok) throw new TesseraError("INVALID_ARGUMENT", `bus limits: ${text}`);
  };
  // A frame must fit in the length field (u32, which also counts the kind byte).
  relation(limits.busFrameBytesMax < 0xffff_ffff, "busFrameBytesMax must be below 4 GiB");
  relation(
    limits.busSendQueueBytesMax >= limits.busFrameBytesMax,
    "busSendQueueBytesMax must be at least busFrameBytesMax (a largest frame must be queueable)",
  );
  relation(
    limits.busReconnectBackoffMsMin <= limits.busReconnectBackoffMsMax,
    "busReconnectBackoffMsMin must not exceed busReconnectBackoffMsMax",
  );
  relation(
    limits.busPingIdleMs < limits.busDeadIdleMs,
    "busPingIdleMs must be below busDeadIdleMs (a ping must have time to be answered)",
  );
}
