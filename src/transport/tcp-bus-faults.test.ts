import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { isTesseraError, type NodeId, type RangeId } from "../lib/index.js";
import type { TcpBus } from "./tcp-bus.js";
import { eventually, heartbeat, inbox, sleep, startBus, startMesh } from "./testing.js";

const open: TcpBus[] = [];
after(async () => {
  await Promise.all(open.map((b) => b.close()));
});
const node = (n: number) => n as NodeId;
const range = 1 as RangeId;

async function connectedPair() {
  const [a, b] = await startMesh(2);
  open.push(a!, b!);
  const toB = inbox(b!);
  const toA = inbox(a!);
  a!.sendRaft(node(2), range, [heartbeat(1, 2, 0)]);
  b!.sendRaft(node(1), range, [heartbeat(2, 1, 0)]);
  await eventually(() => toA.length === 1 && toB.length === 1, "both directions up");
  b!.handle("echo", async (x) => x);
  return { a: a!, b: b!, toA, toB };
}

describe("tcp bus: fault injection", () => {
  it("partitions a peer in both directions as seen from this node, until healed", async () => {
    const { a, b, toA, toB } = await connectedPair();
    a.faults.partition([node(2)]);
    a.sendRaft(node(2), range, [heartbeat(1, 2, 1)]);
    b.sendRaft(node(1), range, [heartbeat(2, 1, 1)]);
    await assert.rejects(a.call(node(2), "echo", 1, { timeoutMs: 100 }), (e) =>
      isTesseraError(e, "TIMEOUT"),
    );
    await sleep(50);
    assert.equal(toA.length, 1);
    assert.equal(toB.length, 1);
    assert.ok(a.stats().raftMessagesDroppedByFaults >= 2);
    assert.match(a.faults.describe(), /partition to\/from nodes 2/);
    a.faults.heal();
    a.sendRaft(node(2), range, [heartbeat(1, 2, 2)]);
    b.sendRaft(node(1), range, [heartbeat(2, 1, 2)]);
    await eventually(() => toA.length === 2 && toB.length === 2, "traffic after heal");
    assert.equal(await a.call(node(2), "echo", 7, { timeoutMs: 2_000 }), 7);
  });

  it("drops the asked share of frames, chosen by the seeded rng", async () => {
    const { a, toB } = await connectedPair();
    a.faults.drop([], 100);
    for (let i = 0; i < 20; i++) a.sendRaft(node(2), range, [heartbeat(1, 2, i)]);
    await sleep(50);
    assert.equal(toB.length, 1);
    a.faults.drop([node(2)], 50);
    a.faults.drop([], 0);
    for (let i = 0; i < 400; i++) a.sendRaft(node(2), range, [heartbeat(1, 2, i)]);
    await eventually(
      () => toB.length - 1 + a.stats().raftMessagesDroppedByFaults - 20 === 400,
      "all accounted",
    );
    const delivered = toB.length - 1;
    assert.ok(delivered > 140 && delivered < 260, `delivered ${delivered} of 400`);
  });

  it("delays frames both ways", async () => {
    const { a, toB } = await connectedPair();
    a.faults.delay([node(2)], 100);
    const t0 = Date.now();
    a.sendRaft(node(2), range, [heartbeat(1, 2, 1)]);
    await eventually(() => toB.length === 2, "delayed delivery");
    assert.ok(Date.now() - t0 >= 95, `raft took ${Date.now() - t0} ms`);
    const t1 = Date.now();
    assert.equal(await a.call(node(2), "echo", 3, { timeoutMs: 2_000 }), 3);
    assert.ok(Date.now() - t1 >= 190, `call took ${Date.now() - t1} ms`);
    assert.match(a.faults.describe(), /delay 100ms to\/from nodes 2/);
  });

  it("refuses every fault on a bus started without fault injection", async () => {
    const bus = await startBus({ nodeId: 1, faultsEnabled: false });
    open.push(bus);
    assert.throws(
      () => bus.faults.partition([node(2)]),
      (e) => isTesseraError(e, "INVALID_ARGUMENT"),
    );
    assert.throws(
      () => bus.faults.drop([], 5),
      (e) => isTesseraError(e, "INVALID_ARGUMENT"),
    );
    assert.throws(
      () => bus.faults.delay([], 5),
      (e) => isTesseraError(e, "INVALID_ARGUMENT"),
    );
    assert.throws(
      () => bus.faults.heal(),
      (e) => isTesseraError(e, "INVALID_ARGUMENT"),
    );
  });
});
