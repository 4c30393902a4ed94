import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isTesseraError, logIndex, nodeId } from "../../lib/index.js";
import { ProgressTracker, type TrackerConfig } from "../tracker/progress-tracker.js";
import type { ConfChangeSingle, ConfChangeType, ConfState } from "../types.js";
import { type ChangeResult, Changer } from "./changer.js";
import { restoreConfState } from "./restore.js";

function tracker(): ProgressTracker {
  return new ProgressTracker(10, Number.MAX_SAFE_INTEGER);
}

function install(t: ProgressTracker, r: ChangeResult): void {
  t.config = r.config;
  t.progress = r.progress;
}

function checkInvariants(t: ProgressTracker): void {
  const c = t.config;
  for (const id of c.learners) {
    assert.ok(!c.voters.incoming.has(id) && !c.voters.outgoing.has(id), `learner ${id} also votes`);
    assert.ok(t.progress.get(id)?.isLearner);
  }
  for (const id of c.voters.ids()) assert.ok(t.progress.has(id), `voter ${id} has no progress`);
  for (const id of c.learnersNext) assert.ok(c.voters.outgoing.has(id));
  if (!c.voters.isJoint()) assert.equal(c.learnersNext.size, 0);
  for (const [id, pr] of t.progress) assert.ok(pr.match < pr.next, `progress ${id}`);
}

const describeCfg = (c: TrackerConfig) => ({
  voters: c.voters.incoming.slice(),
  learners: [...c.learners].sort((a, b) => a - b),
});

const change = fc.record({
  type: fc.constantFrom<ConfChangeType>("add-node", "remove-node", "add-learner"),
  nodeId: fc.integer({ min: 1, max: 6 }).map(nodeId),
});

describe("conf changes (§6, thesis §4)", () => {
  it("a sequence of simple changes and one joint change reach the same configuration (property)", () => {
    fc.assert(
      fc.property(fc.array(change, { maxLength: 12 }), (ccs) => {
        const start = tracker();
        install(
          start,
          new Changer(start, logIndex(10)).simple([{ type: "add-node", nodeId: nodeId(1) }]),
        );
        // Apply one at a time, keeping only the changes a simple step accepts.
        const seq = tracker();
        install(seq, { config: start.config, progress: new Map(start.progress) });
        const accepted: ConfChangeSingle[] = [];
        for (const cc of ccs) {
          try {
            install(seq, new Changer(seq, logIndex(10)).simple([cc]));
            accepted.push(cc);
          } catch (e) {
            assert.ok(isTesseraError(e, "INVALID_ARGUMENT"));
          }
          checkInvariants(seq);
        }
        const joint = tracker();
        install(joint, { config: start.config, progress: new Map(start.progress) });
        install(joint, new Changer(joint, logIndex(10)).enterJoint(false, accepted));
        checkInvariants(joint);
        install(joint, new Changer(joint, logIndex(10)).leaveJoint());
        checkInvariants(joint);
        assert.deepEqual(describeCfg(joint.config), describeCfg(seq.config));
      }),
    );
  });

  it("restoring a ConfState reproduces it, joint or not (property)", () => {
    fc.assert(
      fc.property(
        fc.array(change, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (ccs, autoLeave) => {
          const t = tracker();
          install(t, new Changer(t, logIndex(5)).simple([{ type: "add-node", nodeId: nodeId(1) }]));
          try {
            install(t, new Changer(t, logIndex(5)).enterJoint(autoLeave, ccs));
          } catch (e) {
            assert.ok(isTesseraError(e, "INVALID_ARGUMENT"));
          }
          const cs: ConfState = t.confState();
          const r = tracker();
          restoreConfState(r, 5, cs);
          checkInvariants(r);
          assert.deepEqual(r.confState(), cs);
        },
      ),
    );
  });

  it("refuses invalid changes with INVALID_ARGUMENT", () => {
    const t = tracker();
    const c = () => new Changer(t, logIndex(1));
    const refused = (f: () => unknown) =>
      assert.throws(f, (e) => isTesseraError(e, "INVALID_ARGUMENT"));
    refused(() => c().simple([{ type: "add-learner", nodeId: nodeId(1) }])); // removes all voters
    install(t, c().simple([{ type: "add-node", nodeId: nodeId(1) }]));
    refused(() => c().leaveJoint());
    refused(() =>
      c().simple([
        { type: "add-node", nodeId: nodeId(2) },
        { type: "add-node", nodeId: nodeId(3) },
      ]),
    );
    refused(() => c().simple([{ type: "remove-node", nodeId: nodeId(1) }]));
    refused(() => c().simple([{ type: "update" as ConfChangeType, nodeId: nodeId(2) }]));
    install(t, c().enterJoint(true, [{ type: "add-node", nodeId: nodeId(2) }]));
    refused(() => c().enterJoint(true, [{ type: "add-node", nodeId: nodeId(3) }]));
    refused(() => c().simple([{ type: "add-node", nodeId: nodeId(3) }]));
    const empty = tracker();
    refused(() =>
      new Changer(empty, logIndex(1)).enterJoint(false, [{ type: "add-node", nodeId: nodeId(1) }]),
    );
  });

  it("stages an outgoing voter demoted to learner in learnersNext until the joint config is left", () => {
    const t = tracker();
    install(t, new Changer(t, logIndex(1)).simple([{ type: "add-node", nodeId: nodeId(1) }]));
    install(t, new Changer(t, logIndex(1)).simple([{ type: "add-node", nodeId: nodeId(2) }]));
    install(
      t,
      new Changer(t, logIndex(1)).enterJoint(false, [{ type: "add-learner", nodeId: nodeId(2) }]),
    );
    assert.deepEqual([...t.config.learnersNext], [2]);
    assert.equal(t.progress.get(nodeId(2))!.isLearner, false);
    // Promoting it back within the joint config clears the staging.
    install(t, { ...new Changer(t, logIndex(1)).leaveJoint() });
    assert.deepEqual([...t.config.learners], [2]);
    assert.equal(t.progress.get(nodeId(2))!.isLearner, true);
    // Adding an existing learner as learner is a no-op; a zero id is ignored.
    install(
      t,
      new Changer(t, logIndex(1)).simple([
        { type: "add-learner", nodeId: nodeId(2) },
        { type: "add-node", nodeId: nodeId(0) },
      ]),
    );
    assert.deepEqual([...t.config.learners], [2]);
  });
});
