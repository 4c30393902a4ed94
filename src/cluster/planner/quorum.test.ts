import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type NodeId, nodeId } from "../../lib/index.js";
import { hasLiveQuorum, keepsLiveQuorum, quorumSize } from "./quorum.js";

const ids = (...xs: number[]): NodeId[] => xs.map(nodeId);
const liveOf =
  (...xs: number[]) =>
  (id: NodeId) =>
    xs.includes(id);

describe("live quorums", () => {
  it("needs a strict majority", () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(quorumSize), [1, 2, 2, 3, 3]);
    assert.equal(hasLiveQuorum(ids(1, 2, 3), liveOf(1, 2)), true);
    assert.equal(hasLiveQuorum(ids(1, 2, 3, 4), liveOf(1, 2)), false);
  });

  it("never grants an empty voter set a quorum", () => {
    assert.equal(hasLiveQuorum([], liveOf()), false);
  });

  it("lets a change commit only with a live quorum in the old and the new set", () => {
    // Adding a live node to {1, 2†}: old set 1 of 2 live, no quorum.
    assert.equal(keepsLiveQuorum(ids(1, 2), ids(1, 2, 3), liveOf(1, 3)), false);
    // Adding to {1, 2, 3†}: 2 of 3, then 3 of 4.
    assert.equal(keepsLiveQuorum(ids(1, 2, 3), ids(1, 2, 3, 4), liveOf(1, 2, 4)), true);
    // Removing live node 2 from {1, 2, 3†}: the new set {1, 3†} has 1 of 2.
    assert.equal(keepsLiveQuorum(ids(1, 2, 3), ids(1, 3), liveOf(1, 2)), false);
  });
});
