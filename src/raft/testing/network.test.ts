import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Network } from "./network.js";

describe("in-memory network", () => {
  it("elects a leader and replicates a proposal to every node", () => {
    const nt = new Network(3);
    nt.campaign(1);
    assert.equal(nt.leader(), 1);
    assert.equal(nt.propose(1, "x"), undefined);
    for (const id of [1, 2, 3]) assert.deepEqual(nt.node(id).state, ["x"]);
    nt.checkSafety();
  });

  it("elects a leader by ticking alone", () => {
    const nt = new Network({ ids: [1, 2, 3, 4, 5], seed: 7 });
    const l = nt.tickUntilLeader();
    assert.ok(l >= 1 && l <= 5);
    assert.equal(nt.propose(l, "y"), undefined);
    nt.checkSafety();
  });
});
