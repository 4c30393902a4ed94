/**
 * Growth and shrink under load, with a real Redis Cluster client.
 *
 * Three nodes; keyspace 0 is split into 16 ranges. An ioredis `Cluster`
 * (MOVED, TRYAGAIN, CLUSTERDOWN and closed connections are retried by the
 * client itself) runs a mixed workload — SET, GET, INCR, DEL, MGET and MSET
 * on hash-tagged key groups, each group owned by one worker so every reply can
 * be checked against a model — for 100 000 operations (10 000 under CI,
 * TESSERA_E2E_GROWTH_OPS to choose).
 * Meanwhile:
 * 1. nodes 4 and 5 join; the cluster rebalances until the voter replicas per
 *    node (TESSERA RANGE LIST) differ by at most 10 % of their mean plus one;
 * 2. node 4 is decommissioned with `tessera node decommission 4` and node 5
 *    with `TESSERA NODE DECOMMISSION 5`: every range ends with 3 voters on
 *    nodes 1–3;
 * 3. CLUSTER SLOTS, sampled twice a second from the members, always covers
 *    every slot exactly once.
 * The client must see no error at all, every reply must match the model, and
 * every acknowledged write must be readable at the end. One thing the model
 * allows: when ioredis drops a node from its pool it resends the commands that
 * were in flight on that connection, so an INCR or DEL then in flight may show
 * itself applied twice (the server cannot tell a resend from a new command;
 * Redis Cluster behaves the same). Such replies are logged, not counted.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Cluster as RedisCluster } from "ioredis";
import {
  type Cluster,
  startCluster,
  startJoiner,
  waitFor,
  withClient,
} from "../support/cluster.js";
import { type NodeProcess, runTessera, stopAll } from "../support/process.js";
import {
  CI,
  clusterClient,
  dataRanges,
  evenSplitSlots,
  formatCounts,
  isBalanced,
  nodeWarnings,
  type RangeRow,
  rangeList,
  replicaCounts,
  scaled,
  sleep,
  slotsProblem,
  splitKeyspace,
} from "./support-sharding.js";

const RANGES = 16;
/**
 * The issue's figure is 100 000 operations. On a loaded 2-core machine a
 * 3–5 node cluster on loopback does ~100–300 mixed ops/s, so CI runs 10 000
 * (≈ 1–2 minutes of load); TESSERA_E2E_GROWTH_OPS sets any other count.
 */
const OPS_TARGET = Number(process.env.TESSERA_E2E_GROWTH_OPS ?? scaled(100_000, 10_000));
const WORKERS = 32;
const GROUPS_PER_WORKER = 40;
const BALANCE_TIMEOUT_MS = scaled(90_000, 75_000);
const SHRINK_TIMEOUT_MS = 60_000;
const SLOTS_SAMPLE_MS = 500;
/**
 * How long the workload may take to reach its count once the membership
 * changes are done, and the whole scenario: both allow 100 ops/s at least.
 */
const STOP_TIMEOUT_MS = 60_000 + OPS_TARGET * 10;
const SCENARIO_TIMEOUT_MS = 240_000 + OPS_TARGET * 10;

// ---- the workload ------------------------------------------------------------------

interface Tally {
  ops: number;
  errors: number;
  errorSamples: string[];
  /** Replies that contradict the model (a lost or phantom write, a stale read): the first 20. */
  anomalies: string[];
  anomalyCount: number;
  /**
   * INCR and DEL replies that show the command applied twice, when the client
   * dropped a node while it was in flight: ioredis resends what was pending on
   * a connection it closes (at-least-once, as against Redis Cluster itself).
   */
  resent: string[];
}

/** Model of one key group `{w<worker>g<group>}`: a string `:s` and a counter `:n`. */
interface Group {
  s: string | null;
  n: number;
  /** A write of the group failed: its outcome is unknown, its keys are not checked. */
  uncertain: boolean;
}

class Workload {
  readonly tally: Tally = {
    ops: 0,
    errors: 0,
    errorSamples: [],
    anomalies: [],
    anomalyCount: 0,
    resent: [],
  };
  readonly groups = new Map<string, Group>();
  private stopping = false;
  private aborted = false;
  private readonly done: Promise<unknown>;
  /** Nodes the client has dropped from its pool so far ("-node" events). */
  private drops = 0;

  constructor(
    private readonly c: RedisCluster,
    private readonly opsMin: number,
    private readonly elapsed: () => string,
  ) {
    c.on("-node", () => this.drops++);
    this.done = Promise.all(Array.from({ length: WORKERS }, (_, w) => this.worker(w)));
  }

  /**
   * Lets the workload reach `opsMin` operations, then ends it; gives up after
   * `timeoutMs` (the tally then shows how far it got).
   */
  async stop(timeoutMs: number): Promise<Tally> {
    this.stopping = true;
    const timer = setTimeout(() => {
      this.aborted = true;
    }, timeoutMs);
    await this.done;
    clearTimeout(timer);
    return this.tally;
  }

  /** Ends the workload now, whatever its count (after a failure). */
  async abort(): Promise<void> {
    this.aborted = true;
    await this.done;
  }

  private anomaly(what: string): void {
    this.tally.anomalyCount++;
    if (this.tally.anomalies.length < 20)
      this.tally.anomalies.push(`${what} (${this.elapsed()}, op ${this.tally.ops})`);
  }

  private async worker(w: number): Promise<void> {
    const tags = Array.from({ length: GROUPS_PER_WORKER }, (_, g) => `{w${w}g${g}}`);
    for (const tag of tags) this.groups.set(tag, { s: null, n: 0, uncertain: false });
    for (let i = 0; !this.aborted && !(this.stopping && this.tally.ops >= this.opsMin); i++) {
      const tag = tags[(i * 7 + w) % tags.length]!;
      const g = this.groups.get(tag)!;
      const op = (i * 13 + w) % 20;
      try {
        await this.step(tag, g, op, `w${w}-i${i}`);
        this.tally.ops++;
      } catch (e) {
        this.tally.errors++;
        if (this.tally.errorSamples.length < 10)
          this.tally.errorSamples.push(`${opName(op)} ${tag}: ${String(e)}`);
        if (op < 7 || op >= 10) g.uncertain = true;
        await sleep(50);
      }
    }
  }

  /**
   * Whether a reply that shows its command applied more than once is the
   * client's doing: a node was dropped while the command was in flight
   * (ioredis then rejects what was pending on that connection with
   * "Connection is closed." and sends it again, after it may have been
   * applied). Each drop resends a command at most once.
   */
  private resentBy(dropsAtStart: number, extra: number, what: string): boolean {
    if (extra < 1 || extra > this.drops - dropsAtStart) return false;
    this.tally.resent.push(`${what} (${this.elapsed()})`);
    return true;
  }

  private async step(tag: string, g: Group, op: number, value: string): Promise<void> {
    const c = this.c;
    const [s, n] = [`${tag}:s`, `${tag}:n`];
    const drops = this.drops;
    if (op < 7) {
      await c.set(s, value);
      g.s = value;
    } else if (op < 10) {
      const got = await c.get(s);
      if (!g.uncertain && got !== g.s) this.anomaly(`GET ${s} = ${got}, expected ${g.s}`);
    } else if (op < 13) {
      const got = await c.incr(n);
      const what = `INCR ${n} = ${got}, expected ${g.n + 1}`;
      if (!g.uncertain && got !== g.n + 1 && !this.resentBy(drops, got - g.n - 1, what))
        this.anomaly(what);
      g.n = got;
    } else if (op < 15) {
      const got = await c.del(s);
      const what = `DEL ${s} = ${got} while the model holds ${g.s}`;
      const want = g.s === null ? 0 : 1;
      if (!g.uncertain && got !== want && !(got === 0 && this.resentBy(drops, 1, what)))
        this.anomaly(what);
      g.s = null;
    } else if (op < 18) {
      const [gs, gn] = await c.mget(s, n);
      const want = g.n === 0 ? null : String(g.n);
      if (!g.uncertain && (gs !== g.s || gn !== want))
        this.anomaly(`MGET ${s} ${n} = ${gs},${gn}, expected ${g.s},${want}`);
    } else {
      await c.mset(s, value, `${tag}:m`, value);
      g.s = value;
    }
  }
}

function opName(op: number): string {
  if (op < 7) return "SET";
  if (op < 10) return "GET";
  if (op < 13) return "INCR";
  if (op < 15) return "DEL";
  return op < 18 ? "MGET" : "MSET";
}

// ---- CLUSTER SLOTS sampler ---------------------------------------------------------

class SlotsSampler {
  samples = 0;
  unreachable = 0;
  /** Samples with a problem (the first ten are kept in `problems`). */
  bad = 0;
  readonly problems: string[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    /** The nodes to ask (members not being decommissioned). */
    private readonly members: () => readonly NodeProcess[],
    /** Every node started: a master CLUSTER SLOTS names must be one of them. */
    private readonly started: () => readonly NodeProcess[],
    private readonly elapsed: () => string,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    for (let i = 0; this.running; i++) {
      const nodes = this.members();
      const node = nodes[i % nodes.length]!;
      const ports = new Set(this.started().map((n) => n.respPort));
      try {
        const reply = await withClient(node, (c) => c.call("CLUSTER", "SLOTS"));
        this.samples++;
        const problem = slotsProblem(reply, ports);
        if (problem !== undefined) {
          this.bad++;
          if (this.problems.length < 10)
            this.problems.push(`${this.elapsed()} node ${node.nodeId}: ${problem}`);
        }
      } catch {
        this.unreachable++;
      }
      await sleep(SLOTS_SAMPLE_MS);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

// ---- the scenario ------------------------------------------------------------------

describe("growth and shrink under a Redis Cluster client's load", {
  timeout: SCENARIO_TIMEOUT_MS,
}, () => {
  let cluster: Cluster;
  let client: RedisCluster;
  let load: Workload;
  let sampler: SlotsSampler;
  /** Nodes that are members (not decommissioned yet): the sampler asks them. */
  let members: NodeProcess[] = [];
  let tally: Tally | undefined;
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const log = (line: string) =>
    process.stdout.write(`${((Date.now() - started) / 1000).toFixed(1)} s ${line}\n`);

  before(async () => {
    cluster = await startCluster(3);
    await splitKeyspace(cluster.nodes[0]!, evenSplitSlots(RANGES), cluster.nodes);
    members = [...cluster.nodes];
    client = clusterClient(cluster.nodes);
    // The client drops a node that its slot map no longer names (closing that
    // connection, and resending what was in flight on it): logged, to tell
    // after a failure what the client did.
    client.on("-node", (redis: { options: { port: number } }) =>
      log(`client dropped the node on port ${redis.options.port}`),
    );
    load = new Workload(client, OPS_TARGET, elapsed);
    sampler = new SlotsSampler(
      () => members,
      () => cluster.nodes,
      elapsed,
    );
    log(
      `3 nodes (ports ${cluster.nodes.map((n) => n.respPort).join(", ")}), ${RANGES} ranges; ` +
        `workload of ${OPS_TARGET} ops started${CI ? " (CI size)" : ""}`,
    );
  });
  after(async () => {
    await load?.abort();
    await sampler?.stop();
    client?.disconnect();
    await stopAll();
  });

  it("adds nodes 4 and 5 under load and rebalances replicas within 10 % of the mean + 1", async () => {
    await waitFor(
      "a tenth of the workload",
      async () => (load.tally.ops >= OPS_TARGET / 10 ? true : undefined),
      60_000 + OPS_TARGET * 2,
      200,
    );
    for (let i = 0; i < 2; i++) {
      const node = await startJoiner(cluster);
      cluster.nodes.push(node);
      members.push(node);
      log(`node ${node.nodeId} joined on port ${node.respPort} (${load.tally.ops} ops so far)`);
    }
    assert.deepEqual(
      cluster.nodes.map((n) => n.nodeId),
      [1, 2, 3, 4, 5],
    );
    let last: RangeRow[] = [];
    try {
      await waitFor(
        "replicas balanced over 5 nodes",
        async () => {
          last = await rangeList(cluster.nodes[0]!);
          const counts = replicaCounts(last, [1, 2, 3, 4, 5]);
          const settled = last.every((r) => r.voters.length === 3 && r.learners.length === 0);
          return settled && isBalanced(counts) ? true : undefined;
        },
        BALANCE_TIMEOUT_MS,
        500,
      );
    } catch (e) {
      // What the nodes complained about, to tell why moves stalled.
      log(nodeWarnings(cluster.nodes, 15));
      assert.fail(
        `${String(e)}; voters per node: ${formatCounts(replicaCounts(last, [1, 2, 3, 4, 5]))}; ` +
          `ranges: ${last.map((r) => `${r.id}:[${r.voters}]${r.learners.length ? `+[${r.learners}]` : ""}`).join(" ")}`,
      );
    }
    log(`balanced: ${formatCounts(replicaCounts(last, [1, 2, 3, 4, 5]))} (${load.tally.ops} ops)`);
  });

  it("decommissions nodes 4 and 5 under load: every range back on nodes 1-3", async () => {
    const [n1, n2] = cluster.nodes;
    members = members.filter((n) => n.nodeId !== 4);
    // The CLI is judged after the cluster's state: if it gives up early, the
    // decommission may still complete on the server, and the rest goes on.
    const r = await runTessera(["node", "decommission", "4", "-p", String(n1!.respPort)], {
      timeoutMs: SHRINK_TIMEOUT_MS,
    });
    log(
      `tessera node decommission 4: exit ${r.code} ${r.stdout.trim()} ${r.stderr.trim()} (${load.tally.ops} ops)`,
    );
    await waitFor(
      "node 4 to hold no replica",
      async () => {
        const rows = await rangeList(n1!);
        return rows.every((x) => !x.voters.includes(4) && !x.learners.includes(4))
          ? true
          : undefined;
      },
      SHRINK_TIMEOUT_MS,
      500,
    );
    members = members.filter((n) => n.nodeId !== 5);
    // An operator retries a refusal that says "retry" (TRYAGAIN, CLUSTERDOWN); logged.
    await withClient(n2!.respPort, async (c) => {
      c.options.commandTimeout = SHRINK_TIMEOUT_MS;
      for (let attempt = 1; ; attempt++) {
        try {
          await c.call("TESSERA", "NODE", "DECOMMISSION", "5");
          return;
        } catch (e) {
          if (attempt >= 5 || !/^(TRYAGAIN|CLUSTERDOWN)/.test((e as Error).message)) throw e;
          log(`TESSERA NODE DECOMMISSION 5 refused (attempt ${attempt}): ${String(e)}`);
          await sleep(1_000);
        }
      }
    });
    log(`node 5 decommissioned (${load.tally.ops} ops)`);
    let last: RangeRow[] = [];
    await waitFor(
      "every range to have 3 voters on nodes 1-3",
      async () => {
        last = await rangeList(n1!);
        return last.every(
          (x) => x.learners.length === 0 && [...x.voters].sort().join(",") === "1,2,3",
        )
          ? true
          : undefined;
      },
      30_000,
      500,
    ).catch((e: unknown) =>
      assert.fail(`${String(e)}: ${last.map((x) => `${x.id}:[${x.voters}]`).join(" ")}`),
    );
    assert.equal(dataRanges(last).length, RANGES);
    assert.equal(r.code, 0, `tessera node decommission 4: ${r.stdout}${r.stderr}`);
  });

  it("kept CLUSTER SLOTS covering every slot exactly once throughout", async () => {
    // Let the workload finish first, so the sampler saw the whole run.
    tally = await load.stop(STOP_TIMEOUT_MS);
    await sampler.stop();
    log(
      `workload done: ${tally.ops} ops, ${tally.errors} errors; ${sampler.samples} CLUSTER SLOTS samples` +
        (tally.resent.length > 0
          ? `; applied twice by the client's resend on a dropped node: ${tally.resent.join("; ")}`
          : ""),
    );
    assert.ok(sampler.samples >= 20, `only ${sampler.samples} CLUSTER SLOTS samples`);
    assert.deepEqual(sampler.problems, [], `${sampler.bad} of ${sampler.samples} samples`);
  });

  it("surfaced no error to the client and every reply matched the model", () => {
    assert.ok(tally !== undefined, "the workload did not finish");
    assert.ok(tally.ops >= OPS_TARGET, `${tally.ops} ops, target ${OPS_TARGET}`);
    assert.equal(tally.errors, 0, `errors: ${tally.errorSamples.join("\n")}`);
    assert.deepEqual(tally.anomalies, [], `${tally.anomalyCount} replies contradict the model`);
  });

  it("reads every acknowledged write at the end", async () => {
    const fresh = clusterClient(cluster.nodes.slice(0, 3));
    try {
      const tags = [...load.groups.keys()];
      const bad: string[] = [];
      for (let i = 0; i < tags.length; i += 64) {
        const batch = tags.slice(i, i + 64);
        const got = await Promise.all(batch.map((t) => fresh.mget(`${t}:s`, `${t}:n`)));
        for (const [j, tag] of batch.entries()) {
          const g = load.groups.get(tag)!;
          if (g.uncertain) continue;
          const want = [g.s, g.n === 0 ? null : String(g.n)];
          if (got[j]![0] !== want[0] || got[j]![1] !== want[1])
            bad.push(`${tag}: ${got[j]} expected ${want}`);
        }
      }
      assert.deepEqual(bad.slice(0, 20), [], `${bad.length} groups differ`);
    } finally {
      fresh.disconnect();
    }
  });
});
