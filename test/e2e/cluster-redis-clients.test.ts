/**
 * Redis Cluster clients against a sharded Tessera: three real nodes, keyspace
 * 0 split into 8 ranges (`TESSERA RANGE SPLIT` at 7 evenly spaced slots),
 * then:
 * - `CLUSTER SLOTS` from every node covers the 16 384 slots exactly once,
 *   with masters that are cluster nodes, and agrees with the range table
 *   (every range boundary is an interval boundary);
 * - `CLUSTER NODES` parses as Redis documents it (one line per node, exactly
 *   one `myself`, slots that match CLUSTER SLOTS) and `CLUSTER INFO` says
 *   `cluster_state:ok`;
 * - an ioredis `Cluster` does mixed SET/GET/INCR/DEL/MGET/MSET with hash
 *   tags and reads back exactly what it wrote;
 * - `redis-cli -c` sets keys of every range through one node and reads them
 *   through another;
 * - `redis-benchmark --cluster -t set,get -n 2000 -q` completes;
 * - a plain (non-cluster) ioredis client connected to any node reads and
 *   writes every key: the node forwards to the range's leader.
 * The tools' cases are skipped, saying so, when redis-tools is not installed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Cluster as RedisCluster } from "ioredis";
import { type Cluster, startCluster, waitFor, withClient } from "../support/cluster.js";
import { stopAll } from "../support/process.js";
import { has, runTool } from "../support/tools.js";
import {
  clusterClient,
  dataRanges,
  evenSplitSlots,
  parseClusterNodes,
  parseClusterSlots,
  parseRangeList,
  type RangeRow,
  SLOT_COUNT,
  scaled,
  slotOf,
  slotsProblem,
  splitKeyspace,
} from "./support-sharding.js";

const RANGES = 8;
const skipCli = has("redis-cli")
  ? false
  : "redis-cli is not installed (apt-get install redis-tools)";
const skipBenchmark = has("redis-benchmark")
  ? false
  : "redis-benchmark is not installed (apt-get install redis-tools)";

/** One key per range of `rows`: key `prefix:<n>` whose slot lies inside the range. */
function keyPerRange(rows: readonly RangeRow[], prefix: string): string[] {
  const out: string[] = [];
  for (const r of dataRanges(rows)) {
    for (let n = 0; ; n++) {
      const key = `${prefix}:${n}`;
      const slot = slotOf(key);
      if (slot >= r.slots!.first && slot <= r.slots!.last) {
        out.push(key);
        break;
      }
    }
  }
  return out;
}

describe("Redis Cluster clients against 3 nodes and 8 ranges", { timeout: 180_000 }, () => {
  let cluster: Cluster;
  let rows: RangeRow[];
  let ports: Set<number>;

  before(async () => {
    cluster = await startCluster(3);
    rows = await splitKeyspace(cluster.nodes[0]!, evenSplitSlots(RANGES), cluster.nodes);
    ports = new Set(cluster.nodes.map((n) => n.respPort));
  });
  after(() => stopAll());

  it("lists 8 ranges of keyspace 0 tiling every slot", () => {
    const data = dataRanges(rows);
    assert.equal(data.length, RANGES, JSON.stringify(data));
    assert.equal(data[0]!.slots!.first, 0);
    assert.equal(data[data.length - 1]!.slots!.last, SLOT_COUNT - 1);
  });

  it("covers every slot exactly once in CLUSTER SLOTS from every node", async () => {
    for (const node of cluster.nodes) {
      const reply = await withClient(node, (c) => c.call("CLUSTER", "SLOTS"));
      assert.equal(slotsProblem(reply, ports), undefined, `node ${node.nodeId}`);
      for (const e of parseClusterSlots(reply))
        assert.equal(e.nodes.length, 3, `interval ${e.first}-${e.last}: a master and 2 replicas`);
      // CLUSTER SLOTS is a view of the range table: two neighbouring ranges led by
      // different nodes are never merged into one interval. (Read both again on a
      // mismatch: a leader may move between the two commands.)
      await waitFor(
        `node ${node.nodeId}'s CLUSTER SLOTS to follow its range table`,
        async () => {
          const [slotsReply, ranges] = await withClient(node, async (c) => [
            await c.call("CLUSTER", "SLOTS"),
            dataRanges(parseRangeList(await c.call("TESSERA", "RANGE", "LIST"))),
          ]);
          const starts = new Set(parseClusterSlots(slotsReply).map((e) => e.first));
          for (let i = 1; i < ranges.length; i++) {
            const [prev, r] = [ranges[i - 1]!, ranges[i]!];
            if (prev.leader !== r.leader && !starts.has(r.slots!.first)) return undefined;
          }
          return true;
        },
        5_000,
      );
    }
  });

  it("answers CLUSTER NODES in Redis's format and CLUSTER INFO with cluster_state:ok", async () => {
    for (const node of cluster.nodes) {
      // Links show the liveness the meta leader last judged; on a loaded machine a
      // late ping can make a peer briefly suspect (`fail?`, disconnected). Wait for
      // a reading with every peer live, then check its format.
      const nodesText = await waitFor(
        `node ${node.nodeId}'s CLUSTER NODES to show every peer connected`,
        async () => {
          const text = String(await withClient(node, (c) => c.call("CLUSTER", "NODES")));
          const read = parseClusterNodes(text);
          return read.length === 3 && read.every((l) => l.link === "connected") ? text : undefined;
        },
        15_000,
      );
      const lines = parseClusterNodes(nodesText);
      assert.equal(lines.length, 3, nodesText);
      const mine = lines.filter((l) => l.flags.includes("myself"));
      assert.equal(mine.length, 1, nodesText);
      assert.equal(mine[0]!.port, node.respPort, nodesText);
      assert.deepEqual(new Set(lines.map((l) => l.port)), ports, "every node with its RESP port");
      assert.deepEqual(
        new Set(lines.map((l) => l.busPort)),
        new Set(cluster.nodes.map((n) => n.busPort)),
        "every node with its bus port",
      );
      assert.equal(new Set(lines.map((l) => l.id)).size, 3, "distinct node ids");
      for (const l of lines) {
        assert.ok(l.flags.includes("master"), nodesText);
        assert.equal(l.master, "-", nodesText);
        assert.equal(l.link, "connected", nodesText);
      }
      // The slots each node owns in CLUSTER NODES are those CLUSTER SLOTS gives it as
      // master (read again on a mismatch: a leader may move between the commands).
      await waitFor(
        `node ${node.nodeId}'s CLUSTER NODES to agree with its CLUSTER SLOTS`,
        async () => {
          const [text, slotsReply] = await withClient(node, async (c) => [
            String(await c.call("CLUSTER", "NODES")),
            await c.call("CLUSTER", "SLOTS"),
          ]);
          const owner = new Array<string>(SLOT_COUNT).fill("");
          for (const l of parseClusterNodes(text))
            for (const [a, b] of l.slots) for (let s = a; s <= b; s++) owner[s] = l.id;
          for (const e of parseClusterSlots(slotsReply))
            for (let s = e.first; s <= e.last; s++)
              if (owner[s] !== e.nodes[0]!.id) return undefined;
          return owner.every((o) => o !== "") ? true : undefined;
        },
        5_000,
      );
      // (The same for CLUSTER INFO: a suspect leader's slots count as pfail.)
      let info = "";
      await waitFor(
        `node ${node.nodeId}'s CLUSTER INFO to say cluster_state:ok`,
        async () => {
          info = await withClient(node, async (c) => String(await c.call("CLUSTER", "INFO")));
          return /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info)
            ? true
            : undefined;
        },
        15_000,
      ).catch((e: unknown) => assert.fail(`${String(e)}\n${info}`));
      assert.match(info, /cluster_state:ok/, info);
      assert.match(info, /cluster_slots_assigned:16384/, info);
      assert.match(info, /cluster_slots_ok:16384/, info);
      assert.match(info, /cluster_known_nodes:3/, info);
    }
  });

  it("serves an ioredis Cluster mixed SET/GET/INCR/DEL/MGET/MSET with hash tags", async () => {
    const c: RedisCluster = clusterClient(cluster.nodes);
    try {
      const groups = scaled(240, 80);
      const lanes = 8;
      const model = new Map<string, string | null>();
      const group = async (g: number) => {
        const tag = `{user${g}}`;
        const a = `${tag}:name`;
        const n = `${tag}:visits`;
        const b = `${tag}:mail`;
        assert.equal(await c.set(a, `name-${g}`), "OK");
        model.set(a, `name-${g}`);
        assert.equal(await c.incr(n), 1);
        assert.equal(await c.incrby(n, g), 1 + g);
        model.set(n, String(1 + g));
        assert.equal(await c.mset(b, `m-${g}`, `${tag}:tmp`, "x"), "OK");
        model.set(b, `m-${g}`);
        assert.equal(await c.del(`${tag}:tmp`), 1);
        model.set(`${tag}:tmp`, null);
        assert.deepEqual(await c.mget(a, n, b, `${tag}:tmp`), [
          `name-${g}`,
          String(1 + g),
          `m-${g}`,
          null,
        ]);
        if (g % 3 === 0) {
          assert.equal(await c.del(a, b), 2);
          model.set(a, null);
          model.set(b, null);
        }
      };
      // Lanes of groups run side by side; each group's keys are used by one lane only.
      await Promise.all(
        Array.from({ length: lanes }, async (_, lane) => {
          for (let g = lane; g < groups; g += lanes) await group(g);
        }),
      );
      // The workload reached every range: its keys' slots fall in every one.
      const slots = [...model.keys()].map(slotOf);
      for (const r of dataRanges(rows))
        assert.ok(
          slots.some((s) => s >= r.slots!.first && s <= r.slots!.last),
          `no key in range ${r.id}`,
        );
      const keys = [...model.keys()];
      const got = await Promise.all(keys.map((k) => c.get(k)));
      for (const [i, k] of keys.entries()) assert.equal(got[i], model.get(k), k);
    } finally {
      c.disconnect();
    }
  });

  it("lets redis-cli -c set keys of every range through one node and get them through another", {
    skip: skipCli,
  }, async () => {
    const [n1, n2] = cluster.nodes;
    const keys = keyPerRange(rows, "cli");
    assert.equal(keys.length, RANGES);
    for (const key of keys) {
      const set = await runTool("redis-cli", [
        "-c",
        "-p",
        String(n1!.respPort),
        "SET",
        key,
        `v-${key}`,
      ]);
      assert.equal(set.stdout, "OK\n", `${key}: ${set.stdout}${set.stderr}`);
    }
    for (const key of keys) {
      const get = await runTool("redis-cli", ["-c", "-p", String(n2!.respPort), "GET", key]);
      assert.equal(get.stdout, `v-${key}\n`, `${key}: ${get.stderr}`);
    }
    const slot = await runTool("redis-cli", [
      "-c",
      "-p",
      String(n2!.respPort),
      "CLUSTER",
      "KEYSLOT",
      keys[3]!,
    ]);
    assert.equal(slot.stdout.trim(), String(slotOf(keys[3]!)));
  });

  it("completes redis-benchmark --cluster -t set,get -n 2000 -q", {
    skip: skipBenchmark,
  }, async () => {
    const res = await runTool(
      "redis-benchmark",
      ["--cluster", "-p", String(cluster.nodes[0]!.respPort), "-t", "set,get", "-n", "2000", "-q"],
      undefined,
      150_000,
    );
    const out = `${res.stdout}${res.stderr}`.replace(/\r/g, "\n");
    assert.equal(res.code, 0, out);
    assert.match(out, /Cluster has 3 master nodes/, out);
    assert.match(out, /SET: [\d.]+ requests per second/, out);
    assert.match(out, /GET: [\d.]+ requests per second/, out);
    assert.doesNotMatch(out, /error|ERR|MOVED|CLUSTERDOWN|TRYAGAIN/i, out);
  });

  it("lets a plain client on any node read and write every key (forwarding)", async () => {
    const keys = scaled(400, 120);
    const all = Array.from({ length: keys }, (_, i) => `plain:${i}`);
    const bySlot = new Set(all.map(slotOf));
    assert.ok(bySlot.size > keys / 2, "keys spread over many slots");
    // Node i writes the keys i, i+3, …; every node then reads every key. Each
    // connection keeps 16 single-key commands in flight.
    const inFlight = 16;
    const lanes = async (n: number, each: (i: number) => Promise<void>, from = 0, step = 1) => {
      await Promise.all(
        Array.from({ length: inFlight }, async (_, lane) => {
          for (let i = from + lane * step; i < n; i += inFlight * step) await each(i);
        }),
      );
    };
    await Promise.all(
      cluster.nodes.map((node, n) =>
        withClient(node, (c) =>
          lanes(
            keys,
            async (i) => assert.equal(await c.set(all[i]!, `p-${i}`), "OK"),
            n,
            cluster.nodes.length,
          ),
        ),
      ),
    );
    for (const node of cluster.nodes) {
      await withClient(node, (c) =>
        lanes(keys, async (i) =>
          assert.equal(await c.get(all[i]!), `p-${i}`, `${all[i]} via node ${node.nodeId}`),
        ),
      );
    }
    // A read-modify-write through every node lands once on the one leader.
    for (const node of cluster.nodes) await withClient(node, (c) => c.incr("plain:counter"));
    await withClient(cluster.nodes[1]!, async (c) =>
      assert.equal(await c.get("plain:counter"), "3"),
    );
  });
});
