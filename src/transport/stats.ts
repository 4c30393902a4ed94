/**
 * The bus's counters, for metrics and INFO. Traffic is counted per peer (by
 * node id, or by address for a connection to a node whose id is not known);
 * drops, reconnects and calls in flight are counted for the whole bus.
 */

export interface PeerTraffic {
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  bytesReceived: number;
  /** Socket writes: one per flush, however many frames it carried. */
  socketWrites: number;
}

export interface BusStats {
  /** Traffic per peer, keyed by node id (`"3"`) or by address (`"addr:host:port"`). */
  readonly peers: Readonly<Record<string, Readonly<PeerTraffic>>>;
  /** Raft messages dropped: full queue, peer unreachable or unknown, oversized, lost with a closed connection. */
  readonly raftMessagesDropped: number;
  /** Raft messages dropped by fault injection (partition or drop). */
  readonly raftMessagesDroppedByFaults: number;
  /** Connections re-established after a failure. */
  readonly reconnects: number;
  /** Connection attempts or handshakes that failed. */
  readonly connectFailures: number;
  /** Calls this node made that await a reply. */
  readonly callsInFlight: number;
  /** Calls from other nodes whose handler is running here. */
  readonly callsServing: number;
  readonly connectionsOpen: number;
}

export function newPeerTraffic(): PeerTraffic {
  return { framesSent: 0, bytesSent: 0, framesReceived: 0, bytesReceived: 0, socketWrites: 0 };
}
