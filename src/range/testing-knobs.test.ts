/**
 * The test-only knobs break Tessera on purpose, so the simulator can prove it
 * notices. Here: with `skipAppliedIndex`, a restart applies committed entries
 * again (an INCR counted twice); without it, exactly once.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nodeId } from "../lib/index.js";
import { MemoryEngine, Store } from "../storage/index.js";
import type { TestingKnobs } from "./host-types.js";
import { StoreHost } from "./store-host.js";
import { b, KS, LIMITS, systemClock, text } from "./testing/bus-cluster.js";

async function incrTwiceAndRestart(knobs: TestingKnobs): Promise<string> {
  const engine = new MemoryEngine();
  const open = () =>
    Store.openEngine(engine, { create: { clusterId: "c", nodeId: nodeId(1), nowMs: 0 } });
  const start = () =>
    StoreHost.start({
      store: open(),
      clock: systemClock,
      limits: LIMITS,
      raftTiming: { tickMs: 10, electionTick: 10, heartbeatTick: 1 },
      knobs,
      onFatal: (e) => {
        throw e;
      },
    });
  const incr = { op: "incrby" as const, ks: KS, key: b("n"), delta: 1n };
  const first = start();
  await first.waitReady(5000);
  await first.service.write(incr);
  await first.service.write(incr);
  await first.stop();
  const second = start();
  await second.waitReady(5000);
  const got = await second.service.read({ op: "get", ks: KS, key: b("n") }, "strong");
  await second.stop();
  return text(got);
}

describe("testing knobs", () => {
  it("applies each entry exactly once across a restart", async () => {
    assert.equal(await incrTwiceAndRestart({}), "2");
  });

  it("skipAppliedIndex re-applies entries after a restart (a deliberate bug)", async () => {
    assert.equal(await incrTwiceAndRestart({ skipAppliedIndex: true }), "4");
  });

  it("ackBeforeSync still acknowledges writes (before they are durable)", async () => {
    assert.equal(await incrTwiceAndRestart({ ackBeforeSync: true }), "2");
  });
});
