/**
 * `commitOnHeartbeat`: a leader whose commit index advances does not send
 * appends that carry nothing else; followers learn the index from the next
 * append with entries or the next heartbeat.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nodeId } from "../lib/index.js";
import type { Message } from "./index.js";
import { Network } from "./testing/network.js";

function cluster(commitOnHeartbeat: boolean): Network {
  const nt = new Network({ ids: [1, 2, 3], seed: 1, config: { commitOnHeartbeat } });
  nt.campaign(1);
  nt.stabilize();
  return nt;
}

/** The appends node 1 sends while the network settles after `act`. */
function appendsDuring(nt: Network, act: () => void): Message[] {
  const sent: Message[] = [];
  nt.onSend = (m) => {
    if (m.type === "MsgApp" && m.from === 1) sent.push(m);
  };
  act();
  nt.stabilize();
  nt.onSend = undefined;
  return sent;
}

const committed = (nt: Network, id: number) => nt.node(id).node.raft.raftLog.committed;
const entriesOf = (m: Message) => (m.type === "MsgApp" ? m.entries.length : 0);

describe("commitOnHeartbeat", () => {
  it("sends no append that carries only the commit index; the next heartbeat does", () => {
    const nt = cluster(true);
    const sent = appendsDuring(nt, () => nt.propose(1, "x"));
    assert.deepEqual(sent.map(entriesOf), [1, 1], "one append with the entry per follower");
    const index = committed(nt, 1);
    assert.equal(nt.node(1).node.raft.raftLog.lastIndex(), index, "the leader committed it");
    for (const id of [2, 3]) assert.ok(committed(nt, id) < index, `node ${id} not told yet`);
    nt.tick(1, [1]);
    nt.stabilize();
    for (const id of [2, 3]) assert.equal(committed(nt, id), index, `node ${id} after a heartbeat`);
  });

  it("lets the next append with entries carry the commit index", () => {
    const nt = cluster(true);
    appendsDuring(nt, () => nt.propose(1, "x"));
    const first = committed(nt, 1);
    const sent = appendsDuring(nt, () => nt.propose(1, "y"));
    assert.ok(sent.every((m) => m.type === "MsgApp" && m.commit >= first));
    for (const id of [2, 3]) assert.ok(committed(nt, id) >= first);
  });

  it("tells a member of its removal at once: no heartbeat would reach it after", () => {
    const nt = cluster(true);
    nt.raw(1).proposeConfChange({
      transition: "auto",
      changes: [{ type: "remove-node", nodeId: nodeId(3) }],
    });
    nt.stabilize();
    assert.deepEqual(nt.node(1).confState.voters, [1, 2]);
    assert.deepEqual(nt.node(3).confState.voters, [1, 2], "node 3 applied its removal");
  });

  it("off (the default): a commit-only append follows each commit", () => {
    const nt = cluster(false);
    const sent = appendsDuring(nt, () => nt.propose(1, "x"));
    assert.deepEqual(sent.map(entriesOf).sort(), [0, 0, 1, 1]);
    for (const id of [2, 3]) assert.equal(committed(nt, id), committed(nt, 1));
  });
});
