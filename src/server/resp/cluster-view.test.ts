import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  allDataBounds,
  keyspaceBounds,
  keyspaceId,
  SLOT_COUNT,
  slotBounds,
} from "../../lib/index.js";
import type { RangeSummary } from "../../range/types.js";
import {
  CLUSTER_KEYSPACE,
  clusterViewOf,
  nodeEpoch,
  ownedSlots,
  slotIntervals,
  splitHostPort,
} from "./cluster-view.js";
import { REDIS_NODE_ID_CHARS, redisNodeId, redisShardId } from "./redis-node-id.js";

/** Keyspace 0's slots [from, to) as a range; `to` = SLOT_COUNT reaches the keyspace's end. */
function slotRange(
  rangeId: number,
  from: number,
  to: number,
  leaderId: number,
  voters: number[],
  generation = 1,
): RangeSummary {
  return {
    rangeId,
    ...slotBounds(CLUSTER_KEYSPACE, from, to),
    generation,
    voters,
    learners: [],
    leaderId,
  };
}

describe("cluster view", () => {
  it("covers every slot of keyspace 0 exactly once, whatever the ranges' split points", () => {
    const splits = [0, 1, 100, 5461, 5462, 10923, 16000, 16383, SLOT_COUNT];
    const ranges = splits
      .slice(0, -1)
      .map((from, i) => slotRange(i + 2, from, splits[i + 1] as number, (i % 3) + 1, [1, 2, 3]));
    const intervals = slotIntervals(ranges);
    const seen = new Uint8Array(SLOT_COUNT);
    for (const i of intervals) for (let s = i.first; s <= i.last; s++) seen[s]! += 1;
    assert.ok(seen.every((n) => n === 1));
    assert.deepEqual(
      intervals.map((i) => [i.first, i.last, i.owner]),
      ranges.map((r, i) => [splits[i], (splits[i + 1] as number) - 1, r.leaderId]),
    );
  });

  it("ignores other keyspaces and clips a range that spans keyspaces to keyspace 0's slots", () => {
    const ks1 = keyspaceBounds(keyspaceId(1), "hash");
    const ranges: RangeSummary[] = [
      // From before keyspace 0 to slot 7000 of it.
      { ...slotRange(2, 0, 7000, 1, [1]), start: allDataBounds().start },
      // From slot 7000 into keyspace 1.
      { ...slotRange(3, 7000, SLOT_COUNT, 2, [2]), end: ks1.start.slice(0, 7) },
      { ...slotRange(4, 0, 1, 3, [3]), ...ks1 },
    ];
    assert.deepEqual(
      slotIntervals(ranges).map((i) => [i.first, i.last, i.owner]),
      [
        [0, 6999, 1],
        [7000, 16383, 2],
      ],
    );
  });

  it("merges neighbours with the same master and replicas, and keeps the higher generation", () => {
    const intervals = slotIntervals([
      slotRange(2, 0, 100, 1, [1, 2, 3], 4),
      slotRange(3, 100, 200, 1, [1, 2, 3], 7),
      slotRange(4, 200, 300, 1, [1, 2]),
      slotRange(5, 300, SLOT_COUNT, 2, [1, 2, 3]),
    ]);
    assert.deepEqual(
      intervals.map((i) => ({ ...i })),
      [
        { first: 0, last: 199, owner: 1, leaderKnown: true, replicas: [2, 3], generation: 7 },
        { first: 200, last: 299, owner: 1, leaderKnown: true, replicas: [2], generation: 1 },
        { first: 300, last: 16383, owner: 2, leaderKnown: true, replicas: [1, 3], generation: 1 },
      ],
    );
    assert.deepEqual(ownedSlots(intervals, 1), [[0, 299]]);
    assert.deepEqual(ownedSlots(intervals, 3), []);
    assert.equal(nodeEpoch(intervals, 1), 7);
    assert.equal(nodeEpoch(intervals, 3), 0);
  });

  it("serves the slots it cannot place through the stand-in node, so every slot is covered", () => {
    const intervals = slotIntervals(
      [
        slotRange(2, 0, 10, 0, [2, 3]),
        // Members unknown yet: no owner.
        slotRange(3, 10, 20, 0, []),
        slotRange(4, 20, 30, 3, [1, 3]),
      ],
      5,
    );
    assert.deepEqual(
      intervals.map((i) => [i.first, i.last, i.owner, i.leaderKnown, i.replicas]),
      [
        [0, 9, 2, false, [3]],
        [10, 19, 5, false, []],
        [20, 29, 3, true, [1]],
        [30, 16383, 5, false, []],
      ],
    );
  });

  it("gives a range without a known leader to its first voter, and leaves uncovered slots out", () => {
    const intervals = slotIntervals([
      slotRange(2, 0, 10, 0, [2, 3]),
      slotRange(3, 20, 30, 3, [1, 3]),
    ]);
    assert.deepEqual(
      intervals.map((i) => [i.first, i.last, i.owner, i.leaderKnown, i.replicas]),
      [
        [0, 9, 2, false, [3]],
        [20, 29, 3, true, [1]],
      ],
    );
    assert.deepEqual(ownedSlots([...intervals, { ...intervals[1]!, first: 30, last: 31 }], 3), [
      [20, 31],
    ]);
  });

  it("lists member nodes in id order, without removed ones, and the highest generation as epoch", () => {
    const node = (id: number, state: "active" | "removed") => ({
      id,
      respAddress: `h:${id}`,
      busAddress: `h:1${id}`,
      state,
      liveness: "live" as const,
    });
    const view = clusterViewOf({
      clusterId: () => "c",
      myId: () => 2,
      nodes: () => [node(3, "active"), node(1, "removed"), node(2, "active")],
      ranges: () => [slotRange(9, 0, SLOT_COUNT, 2, [2, 3], 12)],
    });
    assert.deepEqual(
      view.nodes.map((n) => n.id),
      [2, 3],
    );
    assert.equal(view.currentEpoch, 12);
    assert.equal(
      clusterViewOf({
        clusterId: () => "c",
        myId: () => 2,
        nodes: () => [],
        ranges: () => [],
      }).currentEpoch,
      1,
    );
  });

  it("names a master clients can reach for every slot: a reachable voter, else this node", () => {
    const node = (id: number, respAddress: string, liveness: "live" | "dead" = "live") => ({
      id,
      respAddress,
      busAddress: `h:1${id}`,
      state: "active" as const,
      liveness,
    });
    // Node 4 joined moments ago: it knows the ranges but not yet nodes 1-3's addresses.
    const view = clusterViewOf({
      clusterId: () => "c",
      myId: () => 4,
      nodes: () => [node(1, ""), node(2, ""), node(3, "h:3"), node(4, "h:4"), node(5, "", "dead")],
      ranges: () => [
        slotRange(2, 0, 100, 1, [1, 2, 3]),
        slotRange(3, 100, 200, 1, [1, 2]),
        slotRange(4, 200, 300, 0, [2, 3]),
        slotRange(5, 300, SLOT_COUNT, 5, [5]),
      ],
    });
    assert.deepEqual(
      view.intervals.map((i) => [i.first, i.last, i.owner]),
      [
        [0, 99, 3],
        [100, 199, 4],
        [200, 299, 3],
        // A dead master stays, so its slots show as failed.
        [300, 16383, 5],
      ],
    );
  });

  it("splits host:port, bracketed IPv6 and unknown addresses", () => {
    assert.deepEqual(splitHostPort("127.0.0.1:7379"), { host: "127.0.0.1", port: 7379 });
    assert.deepEqual(splitHostPort("db-1.example:7000"), { host: "db-1.example", port: 7000 });
    assert.deepEqual(splitHostPort("[::1]:7379"), { host: "::1", port: 7379 });
    assert.deepEqual(splitHostPort(""), { host: "", port: 0 });
    assert.deepEqual(splitHostPort("nohost"), { host: "", port: 0 });
  });
});

describe("Redis node ids", () => {
  it("are 40 lowercase hex characters, fixed per cluster and node", () => {
    const id = redisNodeId("cluster-a", 1);
    assert.equal(id.length, REDIS_NODE_ID_CHARS);
    assert.match(id, /^[0-9a-f]{40}$/);
    // Pinned: a change would rename every node under its clients' feet.
    assert.equal(id, "22cb8cedd5c0075baef3ac1c73f39b19cea41f6c");
    assert.equal(redisNodeId("cluster-a", 1), id);
    assert.notEqual(redisNodeId("cluster-a", 2), id);
    assert.notEqual(redisNodeId("cluster-b", 1), id);
    assert.notEqual(redisShardId("cluster-a", 1), id);
  });
});
