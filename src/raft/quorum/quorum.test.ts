import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type LogIndex, type NodeId, nodeId } from "../../lib/index.js";
import { JointConfig } from "./joint-config.js";
import { MajorityConfig } from "./majority-config.js";
import { INDEX_UNBOUNDED, type VoteResult } from "./vote-result.js";

const voterSet = fc
  .uniqueArray(fc.integer({ min: 1, max: 9 }), { maxLength: 7 })
  .map((ids) => ids.map(nodeId));
const acks = fc.dictionary(
  fc.integer({ min: 1, max: 9 }).map(String),
  fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
);
const votes = fc.dictionary(fc.integer({ min: 1, max: 9 }).map(String), fc.boolean());

const indexer = (a: Record<string, number | undefined>) => (id: NodeId) =>
  a[String(id)] as LogIndex | undefined;
const voteMap = (v: Record<string, boolean>) =>
  new Map(Object.entries(v).map(([k, b]) => [nodeId(Number(k)), b]));

/** The largest index acknowledged by a strict majority, by trying every candidate. */
function bruteCommitted(ids: NodeId[], a: Record<string, number | undefined>): number {
  if (ids.length === 0) return INDEX_UNBOUNDED;
  let best = 0;
  for (let i = 0; i <= 20; i++) {
    const n = ids.filter((id) => (a[String(id)] ?? 0) >= i).length;
    if (n > ids.length / 2) best = i;
  }
  return best;
}

function bruteVote(ids: NodeId[], v: Record<string, boolean>): VoteResult {
  if (ids.length === 0) return "won";
  const yes = ids.filter((id) => v[String(id)] === true).length;
  const missing = ids.filter((id) => v[String(id)] === undefined).length;
  if (yes > ids.length / 2) return "won";
  if (yes + missing > ids.length / 2) return "pending";
  return "lost";
}

describe("majority quorum (§5.2, §5.3)", () => {
  it("commits the largest index acknowledged by a majority (property)", () => {
    fc.assert(
      fc.property(voterSet, acks, (ids, a) => {
        assert.equal(new MajorityConfig(ids).committedIndex(indexer(a)), bruteCommitted(ids, a));
      }),
    );
  });

  it("wins a vote with a majority of yes and loses once a majority is out of reach (property)", () => {
    fc.assert(
      fc.property(voterSet, votes, (ids, v) => {
        assert.equal(new MajorityConfig(ids).voteResult(voteMap(v)), bruteVote(ids, v));
      }),
    );
  });

  it("describes itself with sorted ids", () => {
    assert.equal(new MajorityConfig([3, 1, 2].map(nodeId)).toString(), "(1 2 3)");
  });
});

describe("joint quorum (§6)", () => {
  it("commits the minimum of both halves' commit indexes (property)", () => {
    fc.assert(
      fc.property(voterSet, voterSet, acks, (inc, out, a) => {
        const j = new JointConfig(new MajorityConfig(inc), new MajorityConfig(out));
        const want = Math.min(bruteCommitted(inc, a), bruteCommitted(out, a));
        assert.equal(j.committedIndex(indexer(a)), want);
      }),
    );
  });

  it("equals the majority result when the outgoing half is empty (property)", () => {
    fc.assert(
      fc.property(voterSet, acks, votes, (ids, a, v) => {
        const j = new JointConfig(new MajorityConfig(ids));
        const m = new MajorityConfig(ids);
        assert.equal(j.committedIndex(indexer(a)), m.committedIndex(indexer(a)));
        assert.equal(j.voteResult(voteMap(v)), m.voteResult(voteMap(v)));
        assert.equal(j.isJoint(), false);
      }),
    );
  });

  it("wins only if both halves win and loses if either loses (property)", () => {
    fc.assert(
      fc.property(voterSet, voterSet, votes, (inc, out, v) => {
        const r1 = bruteVote(inc, v);
        const r2 = bruteVote(out, v);
        const want: VoteResult =
          r1 === r2 ? r1 : r1 === "lost" || r2 === "lost" ? "lost" : "pending";
        const j = new JointConfig(new MajorityConfig(inc), new MajorityConfig(out));
        assert.equal(j.voteResult(voteMap(v)), want);
      }),
    );
  });

  it("lists the union of both halves' voters", () => {
    const j = new JointConfig(
      new MajorityConfig([1, 2].map(nodeId)),
      new MajorityConfig([2, 3].map(nodeId)),
    );
    assert.deepEqual(j.ids(), [1, 2, 3]);
    assert.equal(j.toString(), "(1 2)&&(2 3)");
    assert.ok(j.has(nodeId(3)));
  });
});
