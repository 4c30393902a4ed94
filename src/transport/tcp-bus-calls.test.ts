import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { isTesseraError, type NodeId, TesseraError } from "../lib/index.js";
import type { TcpBus } from "./tcp-bus.js";
import { eventually, sleep, startBus, startMesh, type TestBus } from "./testing.js";
import type { CallContext } from "./types.js";

const open: TcpBus[] = [];
after(async () => {
  await Promise.all(open.map((b) => b.close()));
});
const two = node(2);
function node(n: number): NodeId {
  return n as NodeId;
}
const opts = { timeoutMs: 2_000 };

async function pair(): Promise<TestBus[]> {
  const buses = await startMesh(2);
  open.push(...buses);
  return buses;
}

describe("tcp bus: calls", () => {
  it("returns the handler's value and tells the handler who called", async () => {
    const [a, b] = await pair();
    let seen: CallContext | undefined;
    b!.handle("echo", async (req, ctx) => {
      seen = ctx;
      return { echoed: req, bytes: new Uint8Array([9, 8]) };
    });
    const res = (await a!.call(two, "echo", { x: 1 }, opts)) as {
      echoed: unknown;
      bytes: Uint8Array;
    };
    assert.deepEqual(res.echoed, { x: 1 });
    assert.deepEqual([...res.bytes], [9, 8]);
    assert.equal(seen?.from, 1);
    assert.equal(seen?.fromAddress, a!.advertiseAddress);
    assert.equal(a!.stats().callsInFlight, 0);
  });

  it("brings a remote TesseraError back with its code, message and details", async () => {
    const [a, b] = await pair();
    b!.handle("lead", async () => {
      throw new TesseraError("NOT_LEADER", "not the leader", { leader: 3 });
    });
    await assert.rejects(a!.call(two, "lead", null, opts), (e) => {
      assert.ok(isTesseraError(e, "NOT_LEADER"));
      assert.equal(e.message, "not the leader");
      assert.deepEqual(e.details, { leader: 3 });
      return true;
    });
  });

  it("turns any other handler failure into INTERNAL and logs it where it happened", async () => {
    const [a, b] = await pair();
    b!.handle("boom", async () => {
      throw new RangeError("kaput");
    });
    await assert.rejects(a!.call(two, "boom", null, opts), (e) => isTesseraError(e, "INTERNAL"));
    assert.ok(b!.log.has("error", /bus call handler failed/));
  });

  it("fails an unknown method with UNKNOWN_COMMAND", async () => {
    const [a] = await pair();
    await assert.rejects(a!.call(two, "nope", null, opts), (e) =>
      isTesseraError(e, "UNKNOWN_COMMAND"),
    );
  });

  it("fails with TIMEOUT at the deadline and ignores the late reply", async () => {
    const [a, b] = await pair();
    b!.handle("slow", async () => {
      await sleep(300);
      return "late";
    });
    const t0 = Date.now();
    await assert.rejects(a!.call(two, "slow", null, { timeoutMs: 50 }), (e) =>
      isTesseraError(e, "TIMEOUT"),
    );
    assert.ok(Date.now() - t0 >= 45);
    await sleep(400);
    assert.equal(a!.stats().callsInFlight, 0);
  });

  it("fails with UNAVAILABLE when the peer is down or unknown", async () => {
    const a = await startBus({ nodeId: 1 });
    const dead = await startBus({ nodeId: 2 });
    open.push(a);
    a.setPeer(two, dead.advertiseAddress);
    await dead.close();
    await assert.rejects(a.call(two, "x", null, opts), (e) => isTesseraError(e, "UNAVAILABLE"));
    // While backing off it fails at once, without dialing.
    await assert.rejects(a.call(two, "x", null, opts), (e) => isTesseraError(e, "UNAVAILABLE"));
    await assert.rejects(a.call(node(7), "x", null, opts), (e) => isTesseraError(e, "UNAVAILABLE"));
  });

  it("fails with UNAVAILABLE when the connection breaks before the reply", async () => {
    const a = await startBus({ nodeId: 1 });
    const b = await startBus({ nodeId: 2 });
    open.push(a);
    a.setPeer(two, b.advertiseAddress);
    let called = false;
    b.handle("hang", () => {
      called = true;
      return new Promise(() => {});
    });
    const pending = a.call(two, "hang", null, { timeoutMs: 5_000 });
    await eventually(() => called, "handler called");
    await b.close();
    await assert.rejects(pending, (e) => isTesseraError(e, "UNAVAILABLE"));
  });

  it("reconnects to a restarted peer for later calls", async () => {
    const a = await startBus({ nodeId: 1 });
    let b = await startBus({ nodeId: 2 });
    open.push(a);
    const port = b.port;
    a.setPeer(two, b.advertiseAddress);
    b.handle("v", async () => 1);
    assert.equal(await a.call(two, "v", null, opts), 1);
    await b.close();
    b = await startBus({ nodeId: 2, port });
    open.push(b);
    b.handle("v", async () => 2);
    let value: unknown;
    await eventually(() => {
      a.call(two, "v", null, opts).then(
        (v) => {
          value = v;
        },
        () => {},
      );
      return value === 2;
    }, "a call answered by the restarted peer");
  });

  it("lets a node without an id call by address, reusing one connection", async () => {
    const seed = await startBus({ nodeId: 1 });
    const joiner = await startBus({ nodeId: 0, clusterId: "" });
    open.push(seed, joiner);
    const froms: number[] = [];
    seed.handle("join", async (_req, ctx) => {
      froms.push(ctx.from);
      return { nodeId: 5, clusterId: "test-cluster" };
    });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await joiner.callAddress(seed.advertiseAddress, "join", {}, opts), {
        nodeId: 5,
        clusterId: "test-cluster",
      });
    }
    assert.deepEqual(froms, [0, 0, 0]);
    assert.equal(joiner.stats().connectionsOpen, 1);
    await assert.rejects(joiner.call(node(1), "join", {}, opts), (e) =>
      isTesseraError(e, "UNAVAILABLE"),
    );
    joiner.setIdentity("test-cluster", node(5));
    joiner.setPeer(node(1), seed.advertiseAddress);
    await joiner.call(node(1), "join", {}, opts);
    assert.deepEqual(froms, [0, 0, 0, 5]);
  });

  it("bounds the calls pending with LIMIT_EXCEEDED", async () => {
    const a = await startBus({ nodeId: 1, limits: { busCallsPendingMax: 2 } });
    const b = await startBus({ nodeId: 2 });
    open.push(a, b);
    a.setPeer(two, b.advertiseAddress);
    b.handle("hang", () => new Promise(() => {}));
    const p1 = a.call(two, "hang", null, { timeoutMs: 200 });
    const p2 = a.call(two, "hang", null, { timeoutMs: 200 });
    await assert.rejects(a.call(two, "hang", null, opts), (e) =>
      isTesseraError(e, "LIMIT_EXCEEDED"),
    );
    await Promise.allSettled([p1, p2]);
  });

  it("rejects pending calls with SHUTTING_DOWN on close", async () => {
    const a = await startBus({ nodeId: 1 });
    const b = await startBus({ nodeId: 2 });
    open.push(b);
    a.setPeer(two, b.advertiseAddress);
    b.handle("hang", () => new Promise(() => {}));
    const pending = [a.call(two, "hang", null, opts), a.call(two, "hang", null, opts)];
    await sleep(20);
    await a.close();
    for (const p of pending) await assert.rejects(p, (e) => isTesseraError(e, "SHUTTING_DOWN"));
    await assert.rejects(a.call(two, "hang", null, opts), (e) =>
      isTesseraError(e, "SHUTTING_DOWN"),
    );
  });

  it("answers UNAVAILABLE past the bound of calls being served", async () => {
    const a = await startBus({ nodeId: 1 });
    const b = await startBus({ nodeId: 2, limits: { busCallsServingMax: 1 } });
    open.push(a, b);
    a.setPeer(two, b.advertiseAddress);
    let release: () => void = () => {};
    b.handle("hold", () => new Promise<string>((resolve) => (release = () => resolve("done"))));
    const first = a.call(two, "hold", null, opts);
    await eventually(() => b.stats().callsServing === 1, "first call being served");
    await assert.rejects(a.call(two, "hold", null, opts), (e) => isTesseraError(e, "UNAVAILABLE"));
    release();
    assert.equal(await first, "done");
    assert.equal(b.stats().callsServing, 0);
  });
});
