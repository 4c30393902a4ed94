import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { after, describe, it } from "node:test";
import { isTesseraError, type NodeId, type RangeId } from "../lib/index.js";
import { decodeHello, decodeRefusal, encodeCallResult, encodeHello } from "./codec.js";
import { FrameKind, frameHeader } from "./frame.js";
import type { TcpBus } from "./tcp-bus.js";
import {
  append,
  eventually,
  heartbeat,
  helloOf,
  inbox,
  type RawPeer,
  rawConnect,
  startBus,
  type TestBus,
  wrapRaw,
} from "./testing.js";

const open: TcpBus[] = [];
after(async () => {
  await Promise.all(open.map((b) => b.close()));
});
const opts = { timeoutMs: 2_000 };

/** A bus that answers calls, to check it is still healthy after abuse. */
async function healthyBus(): Promise<TestBus> {
  const bus = await startBus({ nodeId: 1 });
  open.push(bus);
  bus.handle("ping", async () => "pong");
  return bus;
}

async function stillServes(bus: TcpBus): Promise<void> {
  const client = await startBus({ nodeId: 0, clusterId: "" });
  open.push(client);
  assert.equal(await client.callAddress(bus.advertiseAddress, "ping", null, opts), "pong");
}

/** A fake peer listening on port 0: it completes the handshake, then does what `then` says. */
async function fakePeer(nodeId: number, then: (raw: RawPeer) => void): Promise<string> {
  const server = createServer((socket) => {
    const raw = wrapRaw(socket);
    const wait = setInterval(() => {
      const hello = raw.frames[0];
      if (hello === undefined) return;
      clearInterval(wait);
      assert.equal(hello.kind, FrameKind.hello);
      raw.send(FrameKind.helloAck, helloOf(nodeId));
      then(raw);
    }, 1);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  after(() => {
    server.close();
  });
  return `127.0.0.1:${address.port}`;
}

describe("tcp bus: handshake and wire robustness", () => {
  it("refuses a peer of another cluster, logging on both sides, delivering nothing", async () => {
    const a = await startBus({ nodeId: 1, clusterId: "alpha" });
    const b = await startBus({ nodeId: 2, clusterId: "beta" });
    open.push(a, b);
    const got = inbox(b);
    b.handle("x", async () => "y");
    const unreachable: NodeId[] = [];
    a.onUnreachable((id) => unreachable.push(id));
    a.setPeer(2 as NodeId, b.advertiseAddress);
    a.sendRaft(2 as NodeId, 1 as RangeId, [heartbeat(1, 2, 1)]);
    await eventually(() => unreachable.length > 0, "refusal reported");
    assert.ok(b.log.has("error", /bus handshake refused.*cluster id mismatch/));
    assert.ok(a.log.has("error", /peer refused our handshake.*cluster id mismatch/));
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(a.call(2 as NodeId, "x", null, opts), (e) =>
      isTesseraError(e, "UNAVAILABLE"),
    );
    assert.equal(got.length, 0);
  });

  it("accepts a node without a cluster id (joining) and refuses another protocol version", async () => {
    const bus = await healthyBus();
    const raw = await rawConnect(bus.port);
    raw.send(FrameKind.hello, helloOf(0, "", 99));
    await raw.closed;
    assert.equal(raw.frames[0]?.kind, FrameKind.helloRefused);
    assert.match(decodeRefusal(raw.frames[0]!.payload).reason, /protocol version mismatch/);
    assert.ok(bus.log.has("error", /protocol version/));
    const ok = await rawConnect(bus.port);
    ok.send(FrameKind.hello, helloOf(0, ""));
    await eventually(() => ok.frames.length === 1, "hello-ack");
    assert.equal(ok.frames[0]?.kind, FrameKind.helloAck);
    assert.equal(decodeHello(ok.frames[0]!.payload).nodeId, 1);
    ok.socket.destroy();
  });

  it("closes a connection that announces an oversized frame, and keeps serving", async () => {
    const bus = await startBus({
      nodeId: 1,
      limits: { busFrameBytesMax: 1024, busSendQueueBytesMax: 4096 },
    });
    open.push(bus);
    bus.handle("ping", async () => "pong");
    const raw = await rawConnect(bus.port);
    raw.send(FrameKind.hello, helloOf(2));
    await eventually(() => raw.frames.length === 1, "hello-ack");
    raw.socket.write(frameHeader(FrameKind.raft, 2048));
    await raw.closed;
    assert.ok(bus.log.has("warn", /protocol error.*busFrameBytesMax/));
    await stillServes(bus);
  });

  it("closes a connection that sends garbage, without crashing", async () => {
    const bus = await healthyBus();
    for (const garbage of [
      Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
      Buffer.from([0, 0, 0, 3, 4, 0xff, 0xff]), // a raft frame before the hello
      Buffer.from([0, 0, 0, 0, 0]),
    ]) {
      const raw = await rawConnect(bus.port);
      raw.socket.write(garbage);
      await raw.closed;
    }
    // Garbage after a good handshake: a raft frame whose payload does not decode.
    const raw = await rawConnect(bus.port);
    raw.send(FrameKind.hello, helloOf(2));
    await eventually(() => raw.frames.length === 1, "hello-ack");
    raw.send(FrameKind.raft, Buffer.from([1, 200, 200, 200, 200, 200, 200, 200, 200, 200]));
    await raw.closed;
    await stillServes(bus);
  });

  it("drops Raft messages past the queue bound while the peer is stalled, and refuses calls", async () => {
    const stalled: RawPeer[] = [];
    const address = await fakePeer(2, (raw) => {
      raw.socket.pause(); // reads nothing more: the TCP window fills up
      stalled.push(raw);
    });
    const bus = await startBus({
      nodeId: 1,
      limits: { busFrameBytesMax: 256 * 1024, busSendQueueBytesMax: 1024 * 1024 },
    });
    open.push(bus);
    bus.setPeer(2 as NodeId, address);
    let sent = 0;
    // Keep sending 256 KiB per turn until the bus has to drop.
    await eventually(
      () => {
        for (let i = 0; i < 4; i++)
          bus.sendRaft(2 as NodeId, 1 as RangeId, [append(1, 2, ++sent, 64 * 1024)]);
        return bus.stats().raftMessagesDropped > 0;
      },
      "drops under a stalled peer",
      20_000,
    );
    const bytesSent = bus.stats().peers["2"]!.bytesSent;
    assert.ok(bytesSent < sent * 64 * 1024, "not everything was written");
    await assert.rejects(bus.call(2 as NodeId, "x", new Uint8Array(200 * 1024), opts), (e) =>
      isTesseraError(e, "UNAVAILABLE"),
    );
    stalled[0]?.socket.destroy();
  });

  it("pings an idle connection and closes it as half-open when nothing comes back", async () => {
    const address = await fakePeer(2, (raw) => {
      raw.socket.pause(); // a peer that has gone silent
    });
    const bus = await startBus({ nodeId: 1, limits: { busPingIdleMs: 40, busDeadIdleMs: 200 } });
    open.push(bus);
    const unreachable: NodeId[] = [];
    bus.onUnreachable((id) => unreachable.push(id));
    bus.setPeer(2 as NodeId, address);
    bus.sendRaft(2 as NodeId, 1 as RangeId, [heartbeat(1, 2, 1)]);
    await eventually(() => unreachable.length > 0, "half-open connection closed", 5_000);
    assert.ok(bus.log.has("warn", /peer silent/));
  });

  it("keeps an idle healthy connection open with pings and pongs", async () => {
    const limits = { busPingIdleMs: 30, busDeadIdleMs: 150 };
    const a = await startBus({ nodeId: 1, limits });
    const b = await startBus({ nodeId: 2, limits });
    open.push(a, b);
    a.setPeer(2 as NodeId, b.advertiseAddress);
    const got = inbox(b);
    a.sendRaft(2 as NodeId, 1 as RangeId, [heartbeat(1, 2, 1)]);
    await eventually(() => got.length === 1, "delivered");
    const framesBefore = b.stats().peers["1"]!.framesReceived;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(a.stats().reconnects, 0);
    assert.equal(a.stats().connectFailures, 0);
    assert.ok(b.stats().peers["1"]!.framesReceived > framesBefore, "pings arrived");
    a.sendRaft(2 as NodeId, 1 as RangeId, [heartbeat(1, 2, 2)]);
    await eventually(() => got.length === 2, "delivered on the same connection");
  });

  it("answers a hello with the bus's own identity", async () => {
    const bus = await healthyBus();
    const raw = await rawConnect(bus.port);
    raw.send(
      FrameKind.hello,
      encodeHello({
        protocolVersion: 1,
        clusterId: "test-cluster",
        nodeId: 4 as NodeId,
        advertiseAddress: "h:1",
      }),
    );
    await eventually(() => raw.frames.length === 1, "hello-ack");
    assert.deepEqual(decodeHello(raw.frames[0]!.payload), {
      protocolVersion: 1,
      clusterId: "test-cluster",
      nodeId: 1,
      advertiseAddress: bus.advertiseAddress,
    });
    raw.socket.destroy();
  });

  it("ignores a call result that comes back on another connection than its call", async () => {
    let forger: RawPeer | undefined;
    const honest = await fakePeer(2, () => {}); // accepts calls, never answers
    const bus = await startBus({ nodeId: 1 });
    open.push(bus);
    bus.setPeer(2 as NodeId, honest);
    const pending = bus.call(2 as NodeId, "x", null, { timeoutMs: 300 });
    // Another node, connected to us, tries to answer call 1 in its place.
    forger = await rawConnect(bus.port);
    forger.send(FrameKind.hello, helloOf(3));
    await eventually(() => forger!.frames.length === 1, "hello-ack");
    forger.send(FrameKind.callResult, encodeCallResult({ id: 1, ok: true, value: "forged" }));
    await assert.rejects(pending, (e) => isTesseraError(e, "TIMEOUT"));
    forger.socket.destroy();
  });
});
