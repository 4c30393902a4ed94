/**
 * Replica garbage collection: a node cut off while it was removed from a
 * range never applies its removal, so its replica stays, believing itself a
 * member. Once the node is back, the replica is found and destroyed: for a
 * user range because the meta table no longer lists the node, for the meta
 * range (which the meta table does not list) by asking its leader.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { RangeId } from "../lib/index.js";
import { SYSTEM_RANGE_ID, USER_RANGE_ID } from "./routing.js";
import { BusCluster, eventually, get, set, type TestNode, text } from "./testing/bus-cluster.js";

// A short sweep, so the meta range's leader is asked about the replica often.
const cluster = new BusCluster({}, 1000, { metaSweepMs: 500 });
after(() => cluster.close());

/** Removes `cut` from `range` while it hears nothing, then lets it hear again. */
async function removeWhileCutOff(range: RangeId, cut: TestNode, via: TestNode): Promise<void> {
  const others = [...cluster.nodes.values()].filter((n) => n !== cut).map((n) => n.id);
  cut.bus.faults.partition(others);
  try {
    await via.host.changeReplicas(range, [{ type: "remove", nodeId: cut.id }]);
    const leader = await cluster.leaderOf(range);
    assert.ok(!leader.host.rangeInfo(range)!.voters.includes(cut.id));
    // Cut off, it still holds its replica and counts itself a voter.
    assert.ok(cut.host.rangeInfo(range)?.voters.includes(cut.id));
  } finally {
    cut.bus.faults.heal();
  }
}

describe("replica garbage collection", () => {
  it("destroys the replicas of ranges a node was removed from while cut off", async () => {
    const [n1, , , n4] = (await cluster.bootstrapped(1, 2, 3, 4)) as TestNode[];
    for (const range of [SYSTEM_RANGE_ID, USER_RANGE_ID]) {
      const others = [2, 3, 4].map((id) => ({
        type: "add-voter" as const,
        nodeId: cluster.node(id).id,
      }));
      await n1!.host.changeReplicas(range, others);
    }
    await n1!.host.service.write(set("k", "v"));
    await eventually("node 4 applied the write", async () => {
      return text(await n4!.host.service.read(get("k"), "any")) === "v";
    });

    await removeWhileCutOff(USER_RANGE_ID, n4!, n1!);
    await eventually(
      "node 4 destroyed its replica of the user range",
      () => n4!.host.rangeInfo(USER_RANGE_ID) === undefined,
      20_000,
    );

    await removeWhileCutOff(SYSTEM_RANGE_ID, n4!, await cluster.leaderOf(SYSTEM_RANGE_ID));
    await eventually(
      "node 4 destroyed its replica of the meta range",
      () => n4!.host.rangeInfo(SYSTEM_RANGE_ID) === undefined,
      20_000,
    );
    // The cluster goes on without it, and node 4 still serves through forwarding.
    await n4!.host.service.write(set("k", "w"));
    assert.equal(text(await n1!.host.service.read(get("k"), "strong")), "w");
  });
});
