/**
 * Splitting ranges under write load, at the RESP level: three nodes, plain
 * (non-cluster) clients on every node writing unique values to keys spread
 * over all slots, while `TESSERA RANGE SPLIT` cuts keyspace 0:
 * 1. one command with four slots answers four new range ids and leaves four
 *    new boundaries (strict: no retry);
 * 2. more splits, one slot per command (retried while the node's range
 *    table catches up), after each of which writes go on; every node then
 *    lists every boundary;
 * 3. clients saw at most retriable refusals (TRYAGAIN, CLUSTERDOWN);
 * 4. every acknowledged write reads back through every node.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Redis } from "ioredis";
import { type Cluster, client, startCluster, waitFor, withClient } from "../support/cluster.js";
import { type NodeProcess, stopAll } from "../support/process.js";
import {
  dataRanges,
  parseRangeList,
  scaled,
  sleep,
  splitKeyspace,
  tilingProblem,
  waitRangesReady,
} from "./support-sharding.js";

const WRITERS_PER_NODE = 4;
const KEYS_PER_WRITER = 200;
/** Split commands, in order: one with several slots, then single and double ones. */
const SPLITS: readonly (readonly number[])[] = [
  [2000, 6000, 10000, 14000],
  [4000],
  [8000, 12000],
  [1000],
  [3000, 5000],
];

interface Writes {
  /** key → last acknowledged value (each key has one writer, values are unique). */
  readonly acked: Map<string, string>;
  acks: number;
  readonly refusals: Map<string, number>;
  /**
   * Writes whose outcome is unknown (TIMEOUT: proposed, then the leadership
   * moved before they were applied). Correct, but costly to a client: kept
   * rare, and counted separately from errors that must never happen.
   */
  unknownOutcomes: number;
  readonly unexpected: string[];
}

function startWriters(nodes: readonly NodeProcess[], writes: Writes, stop: () => boolean) {
  const writer = async (node: NodeProcess, w: number) => {
    let c: Redis | undefined;
    for (let i = 0; !stop(); i++) {
      const key = `split:${node.nodeId}:${w}:${i % KEYS_PER_WRITER}`;
      const value = `${node.nodeId}-${w}-${i}`;
      try {
        c ??= client(node);
        if (c.status === "wait") await c.connect();
        await c.set(key, value);
        writes.acked.set(key, value);
        writes.acks++;
      } catch (e) {
        const msg = String((e as Error).message ?? e);
        const kind = /^(TRYAGAIN|CLUSTERDOWN)\b/.exec(msg)?.[1];
        if (kind !== undefined) writes.refusals.set(kind, (writes.refusals.get(kind) ?? 0) + 1);
        else if (/write not applied within|outcome unknown/.test(msg)) writes.unknownOutcomes++;
        else if (writes.unexpected.length < 10) writes.unexpected.push(`${key}: ${msg}`);
        // The write's outcome is unknown: it may be the key's value now, so forget the
        // key's previous ack (a later ack of the same key supersedes both).
        writes.acked.delete(key);
        c?.disconnect();
        c = undefined;
        await sleep(20);
      }
    }
    c?.disconnect();
  };
  return Promise.all(
    nodes.flatMap((node) => Array.from({ length: WRITERS_PER_NODE }, (_, w) => writer(node, w))),
  );
}

async function boundariesOf(node: NodeProcess): Promise<Set<number>> {
  const rows = await withClient(node, async (c) =>
    parseRangeList(await c.call("TESSERA", "RANGE", "LIST")),
  );
  assert.equal(tilingProblem(rows), undefined);
  return new Set(dataRanges(rows).map((r) => r.slots!.first));
}

describe("splits under write load", { timeout: 180_000 }, () => {
  let cluster: Cluster;
  const writes: Writes = {
    acked: new Map(),
    acks: 0,
    refusals: new Map(),
    unknownOutcomes: 0,
    unexpected: [],
  };
  let stopping = false;
  let writers: Promise<unknown> = Promise.resolve();
  const boundaries: number[] = [];

  before(async () => {
    cluster = await startCluster(3);
    writers = startWriters(cluster.nodes, writes, () => stopping);
    await waitFor("writes to flow", async () => (writes.acks > 200 ? true : undefined), 30_000);
  });
  after(async () => {
    stopping = true;
    await writers;
    await stopAll();
  });

  /** Waits until the writers acknowledged some more writes. */
  const writesGoOn = async () => {
    const acksBefore = writes.acks;
    await waitFor(
      "writes to go on after the split",
      async () => (writes.acks > acksBefore + scaled(100, 50) ? true : undefined),
      30_000,
    );
  };

  it("splits at several slots in one command, answering one new range id per slot", async () => {
    const slots = SPLITS[0]!;
    boundaries.push(...slots);
    const made = await withClient(cluster.nodes[0]!, async (c) => {
      c.options.commandTimeout = 60_000;
      return (await c.call("TESSERA", "RANGE", "SPLIT", ...slots.map(String))) as number[];
    });
    assert.equal(made.length, slots.length, `TESSERA RANGE SPLIT ${slots.join(" ")}: ${made}`);
    assert.equal(new Set(made).size, slots.length, `distinct range ids: ${made}`);
    for (const id of made) assert.ok(Number.isInteger(id) && id > 0, `range id ${id}`);
    const found = await boundariesOf(cluster.nodes[0]!);
    for (const s of slots) assert.ok(found.has(s), `no range starts at slot ${s}`);
    await writesGoOn();
  });

  it("goes on splitting under load, command after command", async () => {
    // One slot per command, retried while the node's range table catches up with its
    // previous split (support-sharding.ts); the first command's slots are split again,
    // so whatever it left undone is done here and the checks below see every boundary.
    for (const slots of SPLITS) {
      await splitKeyspace(cluster.nodes[1]!, slots, [cluster.nodes[1]!], 60_000);
      if (slots !== SPLITS[0]) boundaries.push(...slots);
      const found = await boundariesOf(cluster.nodes[1]!);
      for (const s of slots) assert.ok(found.has(s), `no range starts at slot ${s}`);
      await writesGoOn();
    }
    const rows = await waitRangesReady(cluster.nodes, boundaries, 30_000);
    assert.equal(dataRanges(rows).length, boundaries.length + 1);
  });

  it("refused writes only with TRYAGAIN or CLUSTERDOWN while splitting", async () => {
    stopping = true;
    await writers;
    process.stdout.write(
      `acks ${writes.acks}, keys ${writes.acked.size}, refusals ${JSON.stringify([...writes.refusals])}, unknown outcomes ${writes.unknownOutcomes}\n`,
    );
    assert.ok(writes.acks > scaled(500, 200), `only ${writes.acks} acknowledged writes`);
    assert.deepEqual(writes.unexpected, []);
    assert.ok(
      writes.unknownOutcomes <= Math.max(1, writes.acks / 100),
      `${writes.unknownOutcomes} writes of unknown outcome for ${writes.acks} acknowledged`,
    );
  });

  it("reads every acknowledged write back through every node", async () => {
    for (const node of cluster.nodes) {
      await withClient(node, async (c) => {
        const keys = [...writes.acked.keys()];
        for (let i = 0; i < keys.length; i += 100) {
          const batch = keys.slice(i, i + 100);
          const got = await Promise.all(batch.map((k) => c.get(k)));
          for (const [j, k] of batch.entries())
            assert.equal(got[j], writes.acked.get(k), `${k} via node ${node.nodeId}`);
        }
      });
    }
  });
});
