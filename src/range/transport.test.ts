/**
 * `BusRaftTransport`: a Ready's messages leave as one `sendRaft` per
 * destination node, in order; MsgSnap goes to the snapshot streamer instead.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { logIndex, type NodeId, nodeId, rangeId, term } from "../lib/index.js";
import type { Message } from "../raft/index.js";
import type { Bus } from "../transport/index.js";
import { BusRaftTransport } from "./transport.js";

const hb = (to: number, commit: number): Message => ({
  type: "MsgHeartbeat",
  from: nodeId(1),
  to: nodeId(to),
  term: term(2),
  commit: logIndex(commit),
});

describe("BusRaftTransport", () => {
  it("groups messages by destination and diverts snapshots", () => {
    const sent: [NodeId, number, number[]][] = [];
    const bus = {
      sendRaft: (to: NodeId, r: number, msgs: readonly Message[]) =>
        sent.push([to, r, msgs.map((m) => (m.type === "MsgHeartbeat" ? m.commit : -1))]),
    } as unknown as Bus;
    const snaps: number[] = [];
    const t = new BusRaftTransport(bus, (_r, m) => snaps.push(m.to));
    const snap: Message = {
      type: "MsgSnap",
      from: nodeId(1),
      to: nodeId(4),
      term: term(2),
      snapshot: {
        data: new Uint8Array(),
        metadata: {
          index: logIndex(9),
          term: term(2),
          confState: {
            voters: [],
            learners: [],
            votersOutgoing: [],
            learnersNext: [],
            autoLeave: false,
          },
        },
      },
    };
    t.send(rangeId(2), [hb(2, 1), hb(3, 1), snap, hb(2, 2)]);
    assert.deepEqual(sent, [
      [2, 2, [1, 2]],
      [3, 2, [1]],
    ]);
    assert.deepEqual(snaps, [4]);
  });
});
