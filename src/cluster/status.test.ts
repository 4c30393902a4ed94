/**
 * Status figures: a range's load comes from its leader's report (or from
 * whichever node reported it while leadership moved), and a node's sums are
 * null, never partial, while a range it leads has no known load.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nodeId, rangeId } from "../lib/index.js";
import type { RangeLoadReport } from "../range/index.js";
import type { RangeReplicaInfo } from "./host.js";
import { loadOf, nodeHoldings, rangeStatus } from "./status.js";

const info = (id: number, leader: number): RangeReplicaInfo => ({
  rangeId: rangeId(id),
  leaderId: nodeId(leader),
  voters: [nodeId(1), nodeId(2)],
  learners: [nodeId(3)],
  commitIndex: 10,
  progress: [{ nodeId: nodeId(2), matchIndex: 7 }],
});

const load = (id: number, keys: number): RangeLoadReport => ({
  rangeId: rangeId(id),
  generation: 2,
  start: Uint8Array.of(1),
  end: Uint8Array.of(1, 0, 0, 0, 1),
  keys,
  bytes: keys * 10,
  opsPerSec: keys / 3,
  splitKey: undefined,
});

describe("cluster status figures", () => {
  it("takes a range's load from its leader, else from any node that reported it", () => {
    const byNode = new Map([
      [nodeId(1), new Map([[2, load(2, 5)]])],
      [nodeId(2), new Map([[2, load(2, 9)]])],
    ]);
    assert.equal(loadOf(byNode, info(2, 2))?.keys, 9);
    assert.equal(loadOf(byNode, info(2, 3))?.keys, 5);
    assert.equal(loadOf(byNode, info(4, 1)), undefined);
  });

  it("describes a range from its leader's report, lag included", () => {
    const s = rangeStatus(info(2, 1), load(2, 10), undefined);
    assert.deepEqual(
      [s.span, s.generation, s.keys, s.bytes, s.opsPerSec, s.replicas[0]?.lag],
      ["slots 0-16383", 2, 10, 100, 3.33, 3],
    );
    const unknown = rangeStatus(info(2, 1), undefined, undefined);
    assert.deepEqual([unknown.span, unknown.keys, unknown.opsPerSec], [null, null, null]);
  });

  it("counts a node's replicas and leaders, and sums only what it leads", () => {
    const ranges = [
      rangeStatus(info(2, 1), load(2, 10), undefined),
      rangeStatus(info(3, 1), load(3, 20), undefined),
      rangeStatus(info(4, 2), undefined, undefined),
    ];
    assert.deepEqual(nodeHoldings(nodeId(1), ranges), {
      replicas: 3,
      leaders: 2,
      keys: 30,
      bytes: 300,
      opsPerSec: 10,
    });
    assert.deepEqual(nodeHoldings(nodeId(2), ranges), {
      replicas: 3,
      leaders: 1,
      keys: null,
      bytes: null,
      opsPerSec: null,
    });
    assert.deepEqual(nodeHoldings(nodeId(3), ranges), {
      replicas: 3,
      leaders: 0,
      keys: 0,
      bytes: 0,
      opsPerSec: 0,
    });
    assert.equal(nodeHoldings(nodeId(4), ranges).replicas, 0);
  });
});
