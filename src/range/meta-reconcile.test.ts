/**
 * The meta table follows a range's members even when a change is undone
 * before the node leading the range reloads the table. The leader compares
 * its range with its copy of the table and writes only what differs; that
 * copy must include its own writes, or a change back to the shape the copy
 * was loaded with (a replica added, then removed again) compares equal to
 * the stale copy and never reaches the table. Every range cache then routes
 * by the wrong members, and the cluster's planner, which plans from the
 * cache on nodes without a replica, keeps planning from them.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { nodeId } from "../lib/index.js";
import type { DirectoryEntry } from "./directory.js";
import { entriesOf, readTableCommands } from "./meta-table.js";
import { SYSTEM_RANGE_ID, USER_RANGE_ID } from "./routing.js";
import { BusCluster, eventually, type TestNode } from "./testing/bus-cluster.js";

// No periodic sweep within a test: the table follows changes only because they are changes.
const cluster = new BusCluster({}, 1000, { metaSweepMs: 10 * 60_000 });
after(() => cluster.close());

async function metaEntry(n: TestNode): Promise<DirectoryEntry | undefined> {
  const replies = await Promise.all(
    readTableCommands(USER_RANGE_ID).map((c) => n.host.service.read(c, "strong")),
  );
  return entriesOf(replies).find((e) => e.desc.rangeId === USER_RANGE_ID);
}

const members = (e: DirectoryEntry | undefined) =>
  e === undefined ? "none" : `${e.voters.join(",")}/${e.learners.join(",")}`;

describe("the meta table", () => {
  it("follows a replica added and removed again before the table is reloaded", async () => {
    const [n1] = (await cluster.bootstrapped(1, 2, 3)) as [TestNode];
    await n1.host.changeReplicas(USER_RANGE_ID, [{ type: "add-voter", nodeId: nodeId(2) }]);
    await eventually("the table to show voters 1 and 2", async () => {
      return members(await metaEntry(n1)) === "1,2/";
    });
    // Long enough for the leader to reload the table (it does every few rounds):
    // its copy now shows voters 1 and 2.
    await new Promise((r) => setTimeout(r, 6_000));

    await n1.host.changeReplicas(USER_RANGE_ID, [{ type: "add-voter", nodeId: nodeId(3) }]);
    await eventually("the table to show voters 1, 2 and 3", async () => {
      return members(await metaEntry(n1)) === "1,2,3/";
    });
    await n1.host.changeReplicas(USER_RANGE_ID, [{ type: "remove", nodeId: nodeId(3) }]);
    let last: DirectoryEntry | undefined;
    await eventually(
      "the table to show voters 1 and 2 again",
      async () => {
        last = await metaEntry(n1);
        return members(last) === "1,2/";
      },
      4_000,
    ).catch((e: unknown) => assert.fail(`${String(e)}; the table says ${members(last)}`));
  });

  it("follows a leader that moves, without waiting for the periodic sweep", async () => {
    // The range's members are 1, 2 and 3 after the test above put node 2 back;
    // make them all voters so the leadership can go round.
    const n1 = cluster.node(1);
    // The meta range on every node, as in a real cluster: a leader elsewhere
    // reaches it through its own replica (this test cluster names no other peers).
    await (await cluster.leaderOf(SYSTEM_RANGE_ID)).host.changeReplicas(SYSTEM_RANGE_ID, [
      { type: "add-voter", nodeId: nodeId(2) },
      { type: "add-voter", nodeId: nodeId(3) },
    ]);
    const leader0 = await cluster.leaderOf(USER_RANGE_ID);
    await leader0.host.changeReplicas(USER_RANGE_ID, [{ type: "add-voter", nodeId: nodeId(3) }]);
    await eventually("the table to show voters 1, 2 and 3", async () => {
      return members(await metaEntry(n1)) === "1,2,3/";
    });
    // Reconciliation sweeps every replica only after a change (the periodic
    // sweep is off here): a leader change is such a change, so the new leader
    // writes its entry within a round or two.
    for (let i = 0; i < 3; i++) {
      const from = await cluster.leaderOf(USER_RANGE_ID);
      const to = nodeId((from.id % 3) + 1);
      await from.host.transferLeader(USER_RANGE_ID, to);
      await eventually(
        `node ${to} leads`,
        () => cluster.node(to).host.rangeInfo(USER_RANGE_ID)?.role === "leader",
      );
      let last: DirectoryEntry | undefined;
      await eventually(
        `the table to name node ${to} as the leader`,
        async () => {
          last = await metaEntry(n1);
          return last?.leaderId === to;
        },
        10_000,
      ).catch((e: unknown) => assert.fail(`${String(e)}; the table names ${last?.leaderId}`));
    }
  });
});
