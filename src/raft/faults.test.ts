/**
 * Robustness to an unreliable network and storage: reordered, duplicated and
 * lost messages, partitions and restarts, under seeded chaos runs with the
 * safety invariants checked after every step (§5.4.3 State Machine Safety,
 * §5.3 Log Matching, §5.2 Election Safety).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runChaos } from "./testing/chaos.js";
import { Network } from "./testing/network.js";

describe("unreliable network", () => {
  it("delivers duplicated appends idempotently", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.raw(1).propose(new TextEncoder().encode("a"));
    nt.collect();
    const n = nt.inflight.length;
    for (let i = 0; i < n; i++) nt.duplicate(i);
    nt.stabilize();
    for (const id of [1, 2, 3]) assert.deepEqual(nt.node(id).state, ["a"]);
  });

  it("handles appends delivered in reverse order", () => {
    const nt = new Network(3);
    nt.campaign(1);
    for (const v of ["a", "b", "c"]) {
      nt.raw(1).propose(new TextEncoder().encode(v));
      nt.collect();
    }
    while (nt.inflight.length > 0) nt.deliverOne(nt.inflight.length - 1);
    nt.stabilize();
    nt.tick(3);
    for (const id of [1, 2, 3]) assert.deepEqual(nt.node(id).state, ["a", "b", "c"]);
  });

  it("recovers from random message loss", () => {
    const nt = new Network({ ids: [1, 2, 3], seed: 12 });
    nt.campaign(1);
    nt.drop("*", 0, 0.3);
    for (let i = 0; i < 20; i++) {
      nt.propose(nt.leader() ?? 1, `v${i}`);
      nt.tick(1);
    }
    nt.recover();
    nt.tick(30);
    const l = nt.leader()!;
    const len = nt.node(l).state.length;
    for (const id of [1, 2, 3]) assert.equal(nt.node(id).state.length, len);
    nt.checkSafety();
  });

  it("keeps safety under an asymmetric partition", () => {
    const nt = new Network({
      ids: [1, 2, 3, 4, 5],
      config: { preVote: true, checkQuorum: true },
      seed: 5,
    });
    nt.campaign(1);
    nt.partition([1, 2], [3, 4, 5]);
    nt.tick(40);
    const l = nt.leader()!;
    assert.ok([3, 4, 5].includes(l));
    nt.propose(l, "majority");
    nt.recover();
    nt.cutOneWay(1, 3);
    nt.tick(20);
    nt.recover();
    nt.tick(5);
    nt.checkSafety();
    assert.deepEqual(nt.node(1).state, ["majority"]);
  });
});

describe("seeded chaos", () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: plain Raft stays safe and converges after healing`, () => {
      runChaos({ seed, steps: 1200 });
    });
  }
  for (const seed of [11, 12, 13, 14, 15, 16]) {
    it(`seed ${seed}: PreVote + CheckQuorum stays safe and converges after healing`, () => {
      runChaos({ seed, steps: 1200, config: { preVote: true, checkQuorum: true } });
    });
  }
  for (const seed of [41, 42, 43, 44, 45, 46]) {
    it(`seed ${seed}: membership changes, compaction and restarts under chaos stay safe and converge`, () => {
      runChaos({
        seed,
        steps: 1500,
        voters: [1, 2, 3],
        confChangePerMille: 10,
        compactPerMille: 10,
        config: { preVote: true, checkQuorum: true, stepDownOnRemoval: seed % 2 === 0 },
      });
    });
  }
  for (const seed of [51, 52, 53, 54]) {
    it(`seed ${seed}: every ReadIndex answer sees all writes committed before the read began`, () => {
      runChaos({
        seed,
        steps: 1500,
        voters: [1, 2, 3],
        confChangePerMille: 8,
        compactPerMille: 8,
        readPerMille: 40,
        config: { preVote: seed % 2 === 0, checkQuorum: true },
      });
    });
  }
  for (const seed of [61, 62, 63]) {
    it(`seed ${seed}: messages stepped between ready() and advance() keep every invariant`, () => {
      runChaos({
        seed,
        steps: 1500,
        voters: [1, 2, 3],
        confChangePerMille: 8,
        compactPerMille: 8,
        readPerMille: 20,
        lazyAdvance: true,
        config: { preVote: true, checkQuorum: true },
      });
    });
  }
  for (const seed of [21, 22, 23]) {
    it(`seed ${seed}: small windows (inflight 2, 1 entry per message) stay safe`, () => {
      runChaos({ seed, steps: 1200, config: { maxInflightMsgs: 2, maxSizePerMsg: 1 } });
    });
  }
});
