import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AssertionError, logIndex, nodeId } from "../../lib/index.js";
import { JointConfig } from "../quorum/joint-config.js";
import { MajorityConfig } from "../quorum/majority-config.js";
import { Inflights } from "./inflights.js";
import { Progress } from "./progress.js";
import { describeTrackerConfig, emptyTrackerConfig, ProgressTracker } from "./progress-tracker.js";

describe("inflights", () => {
  it("fills by count and by bytes and frees up to an index", () => {
    const inf = new Inflights(3, 100);
    inf.add(logIndex(1), 10);
    inf.add(logIndex(2), 10);
    inf.add(logIndex(3), 10);
    assert.ok(inf.full());
    assert.throws(() => inf.add(logIndex(4), 1), AssertionError);
    inf.freeLE(logIndex(2));
    assert.equal(inf.count, 1);
    assert.equal(inf.bytes, 10);
    inf.add(logIndex(4), 90);
    assert.ok(inf.full());
    const c = inf.clone();
    inf.reset();
    assert.equal(inf.count, 0);
    assert.equal(c.count, 2);
  });

  it("refuses indexes that do not increase and compacts its buffer", () => {
    const inf = new Inflights(1000, Number.MAX_SAFE_INTEGER);
    for (let i = 1; i <= 200; i++) inf.add(logIndex(i), 1);
    assert.throws(() => inf.add(logIndex(200), 1), AssertionError);
    inf.freeLE(logIndex(150));
    assert.equal(inf.count, 50);
    assert.equal(inf.bytes, 50);
  });
});

describe("progress", () => {
  const pr = () =>
    new Progress({
      match: logIndex(5),
      next: logIndex(6),
      inflights: new Inflights(4, 1000),
      isLearner: false,
    });

  it("asserts match < next", () => {
    assert.throws(
      () =>
        new Progress({
          match: logIndex(5),
          next: logIndex(5),
          inflights: new Inflights(1, 1),
          isLearner: false,
        }),
      AssertionError,
    );
  });

  it("probes from the snapshot after a snapshot, and from match otherwise", () => {
    const p = pr();
    p.becomeSnapshot(logIndex(10));
    assert.ok(p.isPaused());
    assert.match(p.toString(), /snapshot match=5 next=11 paused pendingSnap=10/);
    p.becomeProbe();
    assert.equal(p.next, 11);
    p.becomeReplicate();
    assert.equal(p.next, 6);
    p.becomeProbe();
    assert.equal(p.next, 6);
  });

  it("decrements next only for the reply to the latest probe", () => {
    const p = pr();
    p.next = logIndex(9);
    assert.equal(p.maybeDecrTo(logIndex(7), logIndex(7)), false);
    assert.equal(p.maybeDecrTo(logIndex(8), logIndex(6)), true);
    assert.equal(p.next, 7);
    assert.equal(p.maybeDecrTo(logIndex(6), logIndex(0)), true);
    assert.equal(p.next, 6);
  });

  it("forgets match when the follower refuses the probe at match with a shorter log", () => {
    // A replica destroyed on its removal and created empty when its node was
    // added again: an acknowledgement of the earlier replica had raised match.
    const p = pr();
    assert.equal(p.maybeDecrTo(logIndex(5), logIndex(5)), true);
    assert.equal(p.match, 5);
    assert.equal(p.next, 6);
    assert.equal(p.maybeDecrTo(logIndex(5), logIndex(0)), true);
    assert.equal(p.match, 0);
    assert.equal(p.next, 1);
  });

  it("describes itself and its tracker config", () => {
    const p = pr();
    p.isLearner = true;
    p.becomeReplicate();
    p.sentEntries(1, 10);
    assert.match(p.toString(), /replicate match=5 next=7 learner inactive inflight=1/);
    const c = emptyTrackerConfig();
    assert.equal(describeTrackerConfig(c), "voters=()");
    const full = {
      ...c,
      learners: new Set([nodeId(3)]),
      learnersNext: new Set([nodeId(4)]),
      autoLeave: true,
    };
    assert.equal(describeTrackerConfig(full), "voters=() learners=(3) learners_next=(4) autoleave");
  });
});

describe("ProgressTracker", () => {
  function tracker(incoming: number[], outgoing: number[], learners: number[] = []) {
    const t = new ProgressTracker(256, Number.MAX_SAFE_INTEGER);
    t.config = {
      ...emptyTrackerConfig(),
      voters: new JointConfig(
        new MajorityConfig(incoming.map(nodeId)),
        new MajorityConfig(outgoing.map(nodeId)),
      ),
      learners: new Set(learners.map(nodeId)),
    };
    for (const id of [...new Set([...incoming, ...outgoing, ...learners])]) {
      const p = new Progress({
        match: logIndex(0),
        next: logIndex(1),
        inflights: new Inflights(256, Number.MAX_SAFE_INTEGER),
        isLearner: learners.includes(id),
      });
      t.progress.set(nodeId(id), p);
    }
    return t;
  }
  const hear = (t: ProgressTracker, id: number, tick: number) => {
    t.progress.get(nodeId(id))!.heardAtTick = tick;
  };

  it("holds a lease while a majority of each half of the voters was heard within the window", () => {
    const t = tracker([1, 2, 3], []);
    // The leader (1) counts itself; one follower heard 3 ticks ago makes a quorum.
    assert.equal(t.quorumHeardWithin(nodeId(1), 10, 8), false);
    hear(t, 2, 7);
    assert.equal(t.quorumHeardWithin(nodeId(1), 10, 8), true);
    assert.equal(t.quorumHeardWithin(nodeId(1), 15, 8), false, "heard 8 ticks ago: outside");
    // A learner heard recently does not count.
    const l = tracker([1, 2, 3], [], [4]);
    hear(l, 4, 10);
    assert.equal(l.quorumHeardWithin(nodeId(1), 10, 8), false);
    // Joint: both halves need their majority.
    const j = tracker([1, 2, 3], [1, 4, 5]);
    hear(j, 2, 10);
    assert.equal(j.quorumHeardWithin(nodeId(1), 10, 8), false);
    hear(j, 5, 10);
    assert.equal(j.quorumHeardWithin(nodeId(1), 10, 8), true);
    // No voters at all: vacuously held.
    assert.equal(tracker([], []).quorumHeardWithin(nodeId(1), 10, 8), true);
  });

  it("visits progress in ascending id order, also after its members change", () => {
    const t = tracker([3, 1, 2], []);
    const seen = () => {
      const ids: number[] = [];
      t.visit((id) => ids.push(id));
      return ids;
    };
    assert.deepEqual(seen(), [1, 2, 3]);
    t.progress.delete(nodeId(2));
    t.progress.set(nodeId(0), t.progress.get(nodeId(1))!);
    assert.deepEqual(seen(), [0, 1, 3]);
    t.progress = new Map([[nodeId(9), t.progress.get(nodeId(1))!]]);
    assert.deepEqual(seen(), [9]);
  });
});
