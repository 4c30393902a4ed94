/**
 * How a store's replicas reach the replicas of the same range on other nodes.
 * A Raft message is addressed to (node, range): the transport carries it to
 * that node's store, which hands it to its replica of the range. The bus
 * implementation lives in the transport layer; a node alone in its cluster
 * uses `LoneNodeTransport`, which has nowhere to send and says so loudly.
 */
import { assert, type RangeId } from "../lib/index.js";
import type { Message } from "../raft/index.js";

export interface RaftTransport {
  /** Sends `messages` of range `rangeId`; each names its destination node in `to`. */
  send(rangeId: RangeId, messages: readonly Message[]): void;
}

/** The transport of a single-node cluster: a replica alone in its group never sends. */
export class LoneNodeTransport implements RaftTransport {
  send(rangeId: RangeId, messages: readonly Message[]): void {
    assert(
      messages.length === 0,
      `range ${rangeId}: a lone node has no one to send ${messages[0]?.type} to (node ${messages[0]?.to})`,
    );
  }
}
