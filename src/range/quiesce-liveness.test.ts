import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type NodeId, nodeId, type RangeId, rangeId } from "../lib/index.js";
import { PeerLiveness } from "./quiesce-liveness.js";

function setup() {
  const liveness = new PeerLiveness({ nodeId: nodeId(1), silentAfterTicks: 10 });
  return {
    liveness,
    /** Runs `n` ticks, returning the ranges the last one woke. */
    ticks: (n: number): RangeId[] => {
      let wake: RangeId[] = [];
      for (let i = 0; i < n; i++) wake = liveness.tick().wake;
      return wake;
    },
  };
}
const pingedPeers = (l: PeerLiveness) =>
  l
    .tick()
    .pings.map((m) => m.to)
    .sort((a, b) => a - b);
const [n2, n3, n4] = [nodeId(2), nodeId(3), nodeId(4)];
const r = (n: number): RangeId => rangeId(n);
const NONE = 0 as NodeId;

describe("PeerLiveness", () => {
  it("pings each peer that shares a sleeping range once per tick, whatever the number of ranges", () => {
    const { liveness } = setup();
    assert.deepEqual(pingedPeers(liveness), [], "nothing sleeps: no pings");
    for (let i = 10; i < 1010; i++) liveness.quiesced(r(i), NONE, [n2, n3]);
    liveness.quiesced(r(5), n4, [n4]);
    assert.deepEqual(pingedPeers(liveness), [2, 3, 4]);
    assert.deepEqual(pingedPeers(liveness), [2, 3, 4]);
    assert.equal(liveness.pingsTotal, 6);
  });

  it("sends no ping to a peer that got other Raft traffic during the tick", () => {
    const { liveness } = setup();
    liveness.quiesced(r(10), NONE, [n2, n3]);
    liveness.noteSent(n2);
    assert.deepEqual(pingedPeers(liveness), [3]);
    assert.deepEqual(pingedPeers(liveness), [2, 3], "the traffic counted for one tick only");
  });

  it("stops pinging a peer once no sleeping range is shared with it", () => {
    const { liveness } = setup();
    liveness.quiesced(r(10), NONE, [n2, n3]);
    liveness.quiesced(r(11), n2, [n2]);
    liveness.unquiesced(r(10));
    assert.deepEqual(pingedPeers(liveness), [2]);
    liveness.unquiesced(r(11));
    liveness.unquiesced(r(11));
    assert.deepEqual(pingedPeers(liveness), []);
    assert.equal(liveness.sleeping, 0);
  });

  it("wakes the sleeping followers of a leader silent for an election timeout, and only those", () => {
    const { liveness, ticks } = setup();
    liveness.quiesced(r(10), n2, [n2, n3]);
    liveness.quiesced(r(11), n2, [n2, n3]);
    liveness.quiesced(r(12), n3, [n2, n3]);
    liveness.quiesced(r(13), NONE, [n2, n3]);
    assert.deepEqual(ticks(6), []);
    liveness.heardFrom(n3);
    assert.deepEqual(ticks(3), []);
    assert.deepEqual(ticks(1), [r(10), r(11)], "node 2 has been silent for 10 ticks");
    assert.deepEqual(liveness.followersOf(n2), [r(10), r(11)]);
    liveness.unquiesced(r(10));
    liveness.unquiesced(r(11));
    assert.deepEqual(ticks(5), []);
    assert.deepEqual(ticks(1), [r(12)], "node 3 has been silent for 10 ticks");
  });

  it("counts a follower's going to sleep as hearing from its leader", () => {
    const { liveness, ticks } = setup();
    ticks(50);
    liveness.quiesced(r(10), n2, [n2]);
    assert.deepEqual(ticks(9), [], "an old last-heard tick does not wake it at once");
    assert.deepEqual(ticks(1), [r(10)]);
  });

  it("moves a range to its new leader when it goes to sleep again", () => {
    const { liveness } = setup();
    liveness.quiesced(r(10), n2, [n2, n3]);
    liveness.quiesced(r(10), n3, [n2, n3]);
    assert.deepEqual(liveness.followersOf(n2), []);
    assert.deepEqual(liveness.followersOf(n3), [r(10)]);
    assert.equal(liveness.sleeping, 1);
    assert.deepEqual(pingedPeers(liveness), [2, 3]);
  });
});
