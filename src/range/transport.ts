/**
 * How a store's replicas reach the replicas of the same range on other nodes.
 * A Raft message is addressed to (node, range): the transport carries it to
 * that node's store, which hands it to its replica of the range.
 *
 * `BusRaftTransport` sends over the bus (transport/types.ts): a Ready's
 * messages are grouped by destination, one `sendRaft` per node. MsgSnap is
 * not sent as a message: a range's snapshot data is streamed separately
 * (snapshot-sender.ts), so it goes to `onSnapshot`. A node alone in its
 * cluster uses `LoneNodeTransport`, which has nowhere to send and says so
 * loudly.
 */
import { assert, type NodeId, type RangeId } from "../lib/index.js";
import type { Message, MsgSnap } from "../raft/index.js";
import type { Bus } from "../transport/index.js";

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

export class BusRaftTransport implements RaftTransport {
  constructor(
    private readonly bus: Bus,
    private readonly onSnapshot: (rangeId: RangeId, m: MsgSnap) => void,
  ) {}

  send(rangeId: RangeId, messages: readonly Message[]): void {
    if (messages.length === 0) return;
    // Most sends carry one message, or messages for one node (a follower's
    // answers): those go as they are, without grouping.
    const to = messages[0]!.to;
    let oneNode = true;
    for (const m of messages) {
      if (m.to !== to || m.type === "MsgSnap") {
        oneNode = false;
        break;
      }
    }
    if (oneNode) {
      this.bus.sendRaft(to, rangeId, messages);
      return;
    }
    const byNode = new Map<NodeId, Message[]>();
    for (const m of messages) {
      if (m.type === "MsgSnap") {
        this.onSnapshot(rangeId, m);
        continue;
      }
      let list = byNode.get(m.to);
      if (!list) {
        list = [];
        byNode.set(m.to, list);
      }
      list.push(m);
    }
    for (const [to, list] of byNode) this.bus.sendRaft(to, rangeId, list);
  }
}
