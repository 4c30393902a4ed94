/**
 * Dead-node replacement with real processes: four nodes, replication factor
 * 3, a short `--dead-after-ms` (10 s), keyspace 0 split into 8 ranges so the
 * replicas spread over the four nodes. The node holding the most voter
 * replicas is killed with SIGKILL. Within deadAfterMs + 30 s every range must
 * be back to 3 voters, all on the live nodes, with a leader and no learner;
 * `INFO cluster`/TESSERA STATUS must call the killed node dead; every key
 * written before the kill must still read back, and new writes must work.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  clusterStatus,
  startCluster,
  waitFor,
  waitReplicated,
  withClient,
} from "../support/cluster.js";
import { stopAll } from "../support/process.js";
import {
  dataRanges,
  evenSplitSlots,
  formatCounts,
  type RangeRow,
  rangeTable,
  replicaCounts,
  splitKeyspace,
} from "./support-sharding.js";

after(stopAll);

const DEAD_AFTER_MS = 10_000;
const REPAIR_SLACK_MS = 30_000;
const RANGES = 8;
const KEYS = 400;

describe("a dead node's replicas are replaced", { timeout: 240_000 }, () => {
  it("brings every range back to 3 voters on live nodes within deadAfterMs + 30 s of a kill -9", async () => {
    const cluster = await startCluster(4, {
      args: ["--dead-after-ms", String(DEAD_AFTER_MS)],
    });
    const nodes = cluster.nodes;
    const rows = await splitKeyspace(nodes[0]!, evenSplitSlots(RANGES), nodes);
    assert.equal(dataRanges(rows).length, RANGES);
    await waitReplicated(nodes[0]!, 3);
    await withClient(nodes[0]!, async (c) => {
      for (let i = 0; i < KEYS; i += 50)
        await Promise.all(
          Array.from({ length: 50 }, (_, j) => c.set(`dead:${i + j}`, `v${i + j}`)),
        );
    });

    // The victim: the node with the most voters (the one whose loss hurts most).
    const before = await rangeTable(nodes);
    const counts = replicaCounts(
      before,
      nodes.map((n) => n.nodeId),
    );
    const victimId = [...counts].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]![0];
    const victim = nodes.find((n) => n.nodeId === victimId)!;
    const survivors = nodes.filter((n) => n !== victim);
    const live = new Set(survivors.map((n) => n.nodeId));
    process.stdout.write(
      `voters before: ${formatCounts(counts)}; killing node ${victimId} (kill -9)\n`,
    );
    victim.kill("SIGKILL");
    await victim.waitExit();
    const killedAt = Date.now();

    let last: RangeRow[] = [];
    try {
      await waitFor(
        "every range to have 3 voters on live nodes, a leader and no learner",
        async () => {
          last = await rangeTable(survivors);
          const ok = last.every(
            (r) =>
              r.voters.length === 3 &&
              r.voters.every((v) => live.has(v)) &&
              r.learners.length === 0 &&
              r.leader !== 0 &&
              live.has(r.leader),
          );
          return ok ? true : undefined;
        },
        DEAD_AFTER_MS + REPAIR_SLACK_MS,
        500,
      );
    } catch (e) {
      assert.fail(
        `${String(e)}; ranges: ${last.map((r) => `${r.id}:L${r.leader}[${r.voters}]${r.learners.length ? `+[${r.learners}]` : ""}`).join(" ")}`,
      );
    }
    const repairMs = Date.now() - killedAt;
    process.stdout.write(`every range repaired ${repairMs} ms after the kill\n`);

    const status = await clusterStatus(survivors[0]!);
    assert.equal(status.nodes.find((n) => n.id === victimId)?.liveness, "dead");
    await withClient(survivors[1]!, async (c) => {
      const keys = Array.from({ length: KEYS }, (_, i) => `dead:${i}`);
      const got = await Promise.all(keys.map((k) => c.get(k)));
      for (const [i, v] of got.entries()) assert.equal(v, `v${i}`, keys[i]);
      assert.equal(await c.set("dead:after", "ok"), "OK");
    });
    await stopAll();
  });
});
