/**
 * A peer this node dials: a node id with its current address, or, for calls
 * to a join seed, a bare address (node id 0). A peer has at most one outbound
 * connection, created on demand when something is sent and reused until it
 * fails. After a failure the peer backs off (exponential with jitter): until
 * the retry time, sends find no connection, so Raft messages are dropped and
 * calls fail fast with UNAVAILABLE; the first send after it dials again.
 */
import { connect } from "node:net";
import type { NodeId } from "../lib/index.js";
import { parseAddress } from "./address.js";
import type { Backoff } from "./backoff.js";
import { Connection, type ConnectionEvents } from "./connection.js";
import type { BusLimits } from "./limits.js";
import type { BusLogger } from "./logger.js";
import type { PeerTraffic } from "./stats.js";

export class Peer {
  private conn: Connection | undefined;
  private retryAtMs = 0;
  /** Whether the last connection attempt or connection failed (for logging transitions). */
  failing = false;
  /** Whether a connection to this peer was ever ready (a later one is a reconnect). */
  everReady = false;

  constructor(
    readonly nodeId: NodeId,
    private addr: string,
    readonly traffic: PeerTraffic,
    readonly backoff: Backoff,
  ) {}

  get address(): string {
    return this.addr;
  }

  /** The current connection, if any, whatever its state. */
  get current(): Connection | undefined {
    return this.conn;
  }

  /** Milliseconds until the next dial is allowed (0 = now). */
  retryInMs(nowMs: number): number {
    return Math.max(0, this.retryAtMs - nowMs);
  }

  /**
   * The connection to queue frames on, dialing if there is none; undefined
   * while backing off after a failure.
   */
  connection(nowMs: number, dial: (peer: Peer) => Connection): Connection | undefined {
    if (this.conn !== undefined && this.conn.state !== "closed") return this.conn;
    if (nowMs < this.retryAtMs) return undefined;
    this.conn = dial(this);
    return this.conn;
  }

  /** Records the end of `conn`; false if it was not this peer's current connection. */
  connectionClosed(conn: Connection, nowMs: number): boolean {
    if (conn !== this.conn) return false;
    this.conn = undefined;
    this.retryAtMs = nowMs + this.backoff.nextDelayMs();
    return true;
  }

  connectionReady(conn: Connection): void {
    if (conn !== this.conn) return;
    this.backoff.reset();
    this.failing = false;
    this.everReady = true;
  }

  /** Points the peer at a new address; the old connection, if any, is closed. */
  setAddress(address: string): void {
    if (address === this.addr) return;
    this.addr = address;
    this.backoff.reset();
    this.retryAtMs = 0;
    // Detached first, so its close is not taken for a failure of the peer.
    const old = this.conn;
    this.conn = undefined;
    old?.close(`node ${this.nodeId} moved to ${address}`);
  }
}

/** Opens a dialing connection to `address`; failures surface as the connection's close. */
export function dialConnection(
  address: string,
  expectedNodeId: NodeId,
  limits: BusLimits,
  events: ConnectionEvents,
  logger: BusLogger,
): Connection {
  const { host, port } = parseAddress(address);
  const socket = connect({ host, port });
  const conn = new Connection(socket, "dial", limits, events, logger, address, expectedNodeId);
  const timer = setTimeout(
    () => conn.close(`connect timed out after ${limits.busConnectTimeoutMs} ms`),
    limits.busConnectTimeoutMs,
  );
  socket.once("connect", () => {
    clearTimeout(timer);
    conn.startHandshake();
  });
  socket.once("close", () => clearTimeout(timer));
  return conn;
}
