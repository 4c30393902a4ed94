/**
 * A leader asked to remove itself hands its leadership to a voter that stays
 * before the removal is proposed, and the range goes on under the new leader.
 * Without the handover, removing the leader of a two-voter range can strand
 * the survivor (the simulator found it): the leader commits the change and
 * drops its replica before the survivor learns the entry committed, and the
 * survivor, still in the two-voter configuration, waits forever for the
 * missing vote. Here the timing usually lets the survivor learn it in time;
 * the test pins the outcome, the simulator the race.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { nodeId, term } from "../lib/index.js";
import { SYSTEM_RANGE_ID, USER_RANGE_ID } from "./routing.js";
import type { StoreScheduler } from "./scheduler.js";
import { BusCluster, eventually, get, set, type TestNode, text } from "./testing/bus-cluster.js";

const cluster = new BusCluster();
after(() => cluster.close());

describe("removing a range's leader", () => {
  it("moves the leadership to the voter that stays, then removes the old leader", async () => {
    const n1 = await cluster.add(1);
    const n2 = await cluster.add(2);
    await n1.host.bootstrap([
      { rangeId: SYSTEM_RANGE_ID, keyspaces: "system", voters: [n1.id] },
      { rangeId: USER_RANGE_ID, keyspaces: "user", voters: [n1.id] },
    ]);
    await cluster.leaderOf(USER_RANGE_ID);
    await n1.host.service.write(set("before", "1"));
    await n1.host.changeReplicas(USER_RANGE_ID, [{ type: "add-voter", nodeId: nodeId(2) }]);
    assert.equal(n1.host.rangeInfo(USER_RANGE_ID)?.role, "leader");

    // Asked of the leader itself, about itself.
    await n1.host.changeReplicas(USER_RANGE_ID, [{ type: "remove", nodeId: nodeId(1) }]);

    await eventually("node 2 leads the range alone", async () => {
      const info = n2.host.rangeInfo(USER_RANGE_ID);
      return info?.role === "leader" && info.voters.length === 1 && info.voters[0] === 2;
    });
    await eventually(
      "node 1 dropped its replica",
      () => !n1.host.rangeIds().includes(USER_RANGE_ID),
    );
    assert.equal(text(await n2.host.service.read(get("before"), "strong")), "1");
    await n2.host.service.write(set("after", "2"));
    assert.equal(text(await n2.host.service.read(get("after"), "strong")), "2");

    // What the dropped replica's log reached outlives it, as the vote floor
    // of any replica of the range node 1 makes later (removed-ranges.ts):
    // at least the entry that removed it, which it applied.
    const floor = n1.store.removedPosition(USER_RANGE_ID);
    assert.ok(floor !== undefined, "no log position kept for the dropped replica");
    const survivor = n2.store.logStorage(USER_RANGE_ID);
    assert.ok(floor.index >= 3 && floor.index <= survivor.lastIndex(), `floor ${floor.index}`);
    assert.equal(floor.term, survivor.term(floor.index));
  });
});

/**
 * Proposes, on `leader` itself, its own removal from the user range, as a
 * race with the hand-over can leave it (simulator, seed 8303): it applies the
 * removal as leader, hands over, and lingers.
 */
async function proposeOwnRemoval(leader: TestNode): Promise<void> {
  const scheduler = (leader.host as unknown as { scheduler: StoreScheduler }).scheduler;
  const replica = scheduler.replica(USER_RANGE_ID)!;
  assert.equal(replica.raftState, "leader");
  await replica.proposeConfChange({
    transition: "auto",
    changes: [{ type: "remove-node", nodeId: leader.id }],
  });
}

describe("adding back a leader that lingers after its removal", () => {
  // A long election timeout (1 s), so the removed leader lingers for 2 s
  // under its successor: time to add it back before the lingering would end.
  const slow = new BusCluster({}, 1000, {
    raftTiming: { tickMs: 20, electionTick: 50, heartbeatTick: 1 },
  });
  after(() => slow.close());

  it("keeps the replica: it is a member again", async () => {
    const [n1, n2] = (await slow.bootstrapped(1, 2, 3)) as [TestNode, TestNode, TestNode];
    await n1.host.changeReplicas(USER_RANGE_ID, [
      { type: "add-voter", nodeId: nodeId(2) },
      { type: "add-voter", nodeId: nodeId(3) },
    ]);
    await n1.host.service.write(set("before", "1"));
    await proposeOwnRemoval(n1);
    const successor = await slow.leaderOf(USER_RANGE_ID);
    assert.notEqual(successor.id, n1.id);
    assert.ok(n1.host.rangeIds().includes(USER_RANGE_ID), "node 1 did not linger");

    await successor.host.changeReplicas(USER_RANGE_ID, [{ type: "add-voter", nodeId: nodeId(1) }]);
    assert.ok(successor.host.rangeInfo(USER_RANGE_ID)!.voters.includes(nodeId(1)));
    // Past the end the lingering had (2 election timeouts under the new leader).
    await new Promise((r) => setTimeout(r, 3000));
    assert.ok(
      n1.host.rangeIds().includes(USER_RANGE_ID),
      "node 1 dropped a replica its range counts",
    );
    // It was never destroyed (a destroyed replica leaves its log position behind).
    assert.equal(n1.store.removedPosition(USER_RANGE_ID), undefined);
    await n2.host.service.write(set("after", "2"));
    await eventually("node 1 applied a later write", async () => {
      return text(await n1.host.service.read(get("after"), "any")) === "2";
    });
  });
});

describe("restarting a leader that lingers after its removal", () => {
  // As above: a 1 s election timeout, so the lingering lasts seconds.
  const slow = new BusCluster({}, 1000, {
    raftTiming: { tickMs: 20, electionTick: 50, heartbeatTick: 1 },
    metaSweepMs: 500,
  });
  after(() => slow.close());

  it("lingers again, then goes once the range no longer counts it", async () => {
    const [n1] = (await slow.replicated(1, 2, 3)) as [TestNode, TestNode, TestNode];
    await proposeOwnRemoval(n1);
    const t = n1.store.lingeringTerm(USER_RANGE_ID);
    assert.ok(t !== undefined, "no lingering record with the removal");

    // Stopped while it lingers: the voters left may not know yet that the
    // change committed, so the restarted replica must not drop out at once.
    const again = await slow.restart(1);
    assert.equal(again.store.lingeringTerm(USER_RANGE_ID), t);
    // A voter that has not learnt of the commit still counts node 1 and asks
    // for its vote (here by hand: node 2 knows better). Stepping it gives the
    // replica its first Ready since the restart, where a replica that forgot
    // its lingering would find itself removed and go at once.
    const n2 = slow.node(2);
    const log = n2.store.logStorage(USER_RANGE_ID);
    const last = log.lastIndex();
    n2.bus.sendRaft(again.id, USER_RANGE_ID, [
      {
        type: "MsgPreVote",
        from: n2.id,
        to: again.id,
        term: term(n2.store.logStorage(USER_RANGE_ID).hardState().term + 1),
        index: last,
        logTerm: log.term(last),
        transfer: false,
      },
    ]);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(again.host.rangeIds().includes(USER_RANGE_ID), "dropped at once on restart");
    assert.equal(again.store.removedPosition(USER_RANGE_ID), undefined);

    // Its replica garbage collection finds the range's leader no longer
    // counting it: the replica goes (its destruction committed, which leaves
    // its log position behind), and the lingering record with it.
    await eventually(
      "the restarted node destroyed its replica",
      () =>
        !again.host.rangeIds().includes(USER_RANGE_ID) &&
        again.store.removedPosition(USER_RANGE_ID) !== undefined,
      30_000,
    );
    assert.equal(again.store.lingeringTerm(USER_RANGE_ID), undefined, "record left behind");
  });
});
