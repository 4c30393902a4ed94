import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { NodeId, RangeId } from "../lib/index.js";
import type { TcpBus } from "./tcp-bus.js";
import { append, eventually, heartbeat, inbox, startBus, startMesh } from "./testing.js";

const r = (n: number) => n as RangeId;
const open: TcpBus[] = [];
after(async () => {
  await Promise.all(open.map((b) => b.close()));
});

describe("tcp bus: raft messages", () => {
  it("delivers batches between two buses in order, with the sender's id and the range", async () => {
    const [a, b] = await startMesh(2);
    open.push(a!, b!);
    const got = inbox(b!);
    for (let i = 1; i <= 200; i++) a!.sendRaft(2 as NodeId, r(i % 3), [append(1, 2, i, 100)]);
    await eventually(() => got.length === 200, "200 messages delivered");
    assert.deepEqual(
      got.map((d) => (d.message.type === "MsgApp" ? d.message.entries[0]?.index : -1)),
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    assert.ok(
      got.every(
        (d) =>
          d.from === 1 &&
          d.rangeId === (d.message.type === "MsgApp" ? d.message.entries[0]!.index % 3 : -1),
      ),
    );
    const entry = got[0]!.message.type === "MsgApp" ? got[0]!.message.entries[0] : undefined;
    assert.ok(entry?.data instanceof Uint8Array);
    assert.equal(entry?.data.byteLength, 100);
  });

  it("batches everything sent in one turn into one socket write and one frame", async () => {
    const [a, b] = await startMesh(2);
    open.push(a!, b!);
    const got = inbox(b!);
    a!.sendRaft(2 as NodeId, r(1), [heartbeat(1, 2, 0)]);
    await eventually(() => got.length === 1, "connection up");
    const before = a!.stats().peers["2"]!;
    for (let i = 1; i <= 500; i++) a!.sendRaft(2 as NodeId, r(i), [heartbeat(1, 2, i)]);
    await eventually(() => got.length === 501, "500 more delivered");
    const afterStats = a!.stats().peers["2"]!;
    assert.equal(afterStats.socketWrites - before.socketWrites, 1);
    assert.equal(afterStats.framesSent - before.framesSent, 1);
    assert.equal(b!.stats().peers["1"]!.framesReceived >= 2, true);
  });

  it("connects three buses pairwise", async () => {
    const buses = await startMesh(3);
    open.push(...buses);
    const inboxes = buses.map((b) => inbox(b));
    for (const from of buses) {
      for (const to of buses) {
        if (from === to) continue;
        from.sendRaft(to.localNodeId, r(7), [heartbeat(from.localNodeId, to.localNodeId, 1)]);
      }
    }
    await eventually(
      () => inboxes.every((i) => i.length === 2),
      "each bus hears from the two others",
    );
    inboxes.forEach((got, i) => {
      const me = i + 1;
      assert.deepEqual(
        got.map((d) => d.from).sort(),
        [1, 2, 3].filter((x) => x !== me),
      );
      assert.ok(got.every((d) => d.message.to === me && d.rangeId === 7));
    });
  });

  it("drops messages to an unknown peer and counts them", async () => {
    const a = await startBus({ nodeId: 1 });
    open.push(a);
    a.sendRaft(9 as NodeId, r(1), [heartbeat(1, 9, 0), heartbeat(1, 9, 1)]);
    assert.equal(a.stats().raftMessagesDropped, 2);
  });

  it("reports a lost peer unreachable, then reconnects after it restarts and delivers again", async () => {
    const a = await startBus({ nodeId: 1 });
    let b = await startBus({ nodeId: 2 });
    open.push(a);
    const port = b.port;
    a.setPeer(2 as NodeId, b.advertiseAddress);
    const unreachable: NodeId[] = [];
    a.onUnreachable((id) => unreachable.push(id));
    let got = inbox(b);
    a.sendRaft(2 as NodeId, r(1), [heartbeat(1, 2, 1)]);
    await eventually(() => got.length === 1, "first delivery");
    await b.close();
    await eventually(() => unreachable.includes(2 as NodeId), "peer reported unreachable");
    b = await startBus({ nodeId: 2, port });
    open.push(b);
    got = inbox(b);
    let commit = 2;
    await eventually(() => {
      a.sendRaft(2 as NodeId, r(1), [heartbeat(1, 2, commit++)]);
      return got.length > 0;
    }, "delivery after the restart");
    assert.ok(a.stats().reconnects >= 1);
    assert.ok(a.log.has("info", /re\)established/));
  });

  it("follows a peer's address change made with setPeer", async () => {
    const [a, b] = await startMesh(2);
    open.push(a!, b!);
    const gotOld = inbox(b!);
    a!.sendRaft(2 as NodeId, r(1), [heartbeat(1, 2, 1)]);
    await eventually(() => gotOld.length === 1, "delivery to the old address");
    const moved = await startBus({ nodeId: 2 });
    open.push(moved);
    const gotNew = inbox(moved);
    a!.setPeer(2 as NodeId, moved.advertiseAddress);
    a!.sendRaft(2 as NodeId, r(1), [heartbeat(1, 2, 2)]);
    await eventually(() => gotNew.length === 1, "delivery to the new address");
    assert.equal(gotOld.length, 1);
  });

  it("refuses a peer that turns out to be another node than expected", async () => {
    const buses = await startMesh(3);
    open.push(...buses);
    const [a, , c] = buses;
    const unreachable: NodeId[] = [];
    a!.onUnreachable((id) => unreachable.push(id));
    const got = inbox(c!);
    a!.setPeer(2 as NodeId, c!.advertiseAddress); // a wrong address for node 2
    a!.sendRaft(2 as NodeId, r(1), [heartbeat(1, 2, 1)]);
    await eventually(() => unreachable.includes(2 as NodeId), "node 2 unreachable");
    assert.ok(a!.log.has("error", /expected node 2 .* found node 3/));
    assert.equal(got.length, 0);
  });

  it("drops (and logs) a group of messages larger than a frame", async () => {
    const limits = { busFrameBytesMax: 1024, busSendQueueBytesMax: 4096 };
    const [a, b] = await startMesh(2, { limits });
    open.push(a!, b!);
    const got = inbox(b!);
    a!.sendRaft(2 as NodeId, r(1), [append(1, 2, 1, 2048)]);
    a!.sendRaft(2 as NodeId, r(1), [append(1, 2, 2, 100)]);
    await eventually(() => got.length === 1, "the small one delivered");
    assert.equal(a!.stats().raftMessagesDropped, 1);
    assert.ok(a!.log.has("warn", /larger than busFrameBytesMax/));
  });

  it("refuses a peer that claims this node's own id", async () => {
    const a = await startBus({ nodeId: 1 });
    const twin = await startBus({ nodeId: 1 });
    open.push(a, twin);
    const unreachable: NodeId[] = [];
    a.onUnreachable((id) => unreachable.push(id));
    a.setPeer(2 as NodeId, twin.advertiseAddress);
    a.sendRaft(2 as NodeId, r(1), [heartbeat(1, 2, 1)]);
    await eventually(() => unreachable.length > 0, "refused");
    assert.ok(twin.log.has("error", /claims this node's own id/));
  });
});
