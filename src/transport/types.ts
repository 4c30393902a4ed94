/**
 * The bus: how one node's stores and cluster services reach other nodes. This
 * interface is the seam between the range/cluster layers and the network. The
 * production implementation speaks length-prefixed frames over TCP on the bus
 * port (see tcp-bus.ts); the simulator implements the same interface over a
 * simulated network, so the code above it runs unchanged under both.
 *
 * Two kinds of traffic:
 * - Raft messages, addressed to (node, range), fire-and-forget: they may be
 *   dropped, duplicated or reordered (Raft tolerates all three), so a full
 *   queue or a broken connection drops them rather than blocking.
 * - Calls: request/response with a deadline (forwarded client requests, join,
 *   snapshot chunks, status). A call rejects with a `TesseraError`:
 *   UNAVAILABLE when the peer cannot be reached, TIMEOUT past the deadline, or
 *   the code the remote handler threw.
 *
 * Identity is a node id, not an address: `setPeer` maps ids to addresses and
 * may change an address at any time. Every connection begins with a handshake
 * carrying the cluster id, the node id and the protocol version; a peer of
 * another cluster is refused on both sides with a clear log line.
 */
import type { NodeId, RangeId } from "../lib/index.js";
import type { Message } from "../raft/index.js";

/** A call handler's context: who called (0 for a node that has no id yet, e.g. one joining). */
export interface CallContext {
  readonly from: NodeId;
  readonly fromAddress: string;
}

export type CallHandler = (request: unknown, ctx: CallContext) => Promise<unknown>;
export type RaftHandler = (from: NodeId, rangeId: RangeId, messages: readonly Message[]) => void;

export interface CallOptions {
  readonly timeoutMs: number;
}

/** Test-only fault injection (refused unless the node was started with faults enabled). */
export interface BusFaults {
  /** Delays every frame to/from `peers` (all peers if empty) by `ms`. */
  delay(peers: readonly NodeId[], ms: number): void;
  /** Drops `percent` of frames to/from `peers` (all if empty), chosen at random. */
  drop(peers: readonly NodeId[], percent: number): void;
  /** Drops every frame to and from `peers`: a symmetric partition seen from this node. */
  partition(peers: readonly NodeId[]): void;
  /** Removes every fault. */
  heal(): void;
  describe(): string;
}

export interface Bus {
  /** This node's id; 0 until the node has one (while joining). */
  readonly localNodeId: NodeId;
  /** The address other nodes reach this node at (host:port of the bus listener). */
  readonly advertiseAddress: string;

  /** Sets this node's identity once it is known (after joining). */
  setIdentity(clusterId: string, nodeId: NodeId): void;
  /** Maps a node id to its bus address (adds the peer or changes its address). */
  setPeer(nodeId: NodeId, address: string): void;
  removePeer(nodeId: NodeId): void;

  /** Queues Raft messages of one range for `to`; never blocks, may drop. */
  sendRaft(to: NodeId, rangeId: RangeId, messages: readonly Message[]): void;
  onRaft(handler: RaftHandler): void;
  /** Called when a peer's connection fails, so Raft can `reportUnreachable`. */
  onUnreachable(handler: (nodeId: NodeId) => void): void;

  /** A request to a known peer. */
  call(to: NodeId, method: string, request: unknown, opts: CallOptions): Promise<unknown>;
  /** A request to an address whose node id is not known yet (a join seed). */
  callAddress(
    address: string,
    method: string,
    request: unknown,
    opts: CallOptions,
  ): Promise<unknown>;
  /** Registers the handler of one method; a call to an unknown method fails with UNKNOWN_COMMAND. */
  handle(method: string, handler: CallHandler): void;

  readonly faults: BusFaults;
  close(): Promise<void>;
}
