/**
 * Scale group (c), moving a big range: a 3-node Tessera cluster whose
 * keyspace 0 is one range is loaded with `moveBytes` of values (1 GiB by
 * default; 256 KiB each, pipelined SETs). Each round then:
 * 1. starts a fourth node, which joins (the cluster may rebalance replicas
 *    onto it by itself; the time until every range is settled again is
 *    recorded, and whether the big range moved then);
 * 2. decommissions a node holding a replica of the big range (not the new
 *    one): its replica has to move to the one node without it, which receives
 *    it by snapshot and catches up. The figure is the time from
 *    `TESSERA NODE DECOMMISSION` to every range having 3 voters again, no
 *    learner and a leader.
 * Throughout, every node is PINGed every 100 ms: the longest wait for a
 * PONG shows whether making, sending or applying the snapshot stops a node
 * from serving. The cluster is back to three nodes for the next round. With less than
 * 1 GiB loaded (`--move-mib`, quick runs) the 1 GiB figure is extrapolated
 * linearly from the measured rate, and the report says so.
 */
import { keySlot } from "../loadgen/key-slot.js";
import { valueBytes } from "../loadgen/keys.js";
import { RespError } from "../loadgen/resp.js";
import { RespClient, respOnce } from "../loadgen/resp-client.js";
import type { Options } from "../options.js";
import { progress } from "../support/progress.js";
import { sleep, waitFor } from "../support/wait.js";
import type { ShardingHooks, System } from "../targets/index.js";
import type { RoundResult, Workload } from "./workload.js";

const GIB = 1024 * 1024 * 1024;
const pipelineDepth = 8;
const settleTimeoutMs = 30 * 60_000;
const afterJoinMs = 3_000;

function caseName(options: Options): string {
  return `${(options.moveBytes / (1024 * 1024)).toFixed(0)} MiB range`;
}

function hooksOf(system: System): ShardingHooks {
  if (system.sharding === undefined) throw new Error(`${system.target} has no sharding hooks`);
  return system.sharding;
}

/** Loads `bytes` of values into keyspace 0 through the node owning the keys' slots. */
async function load(system: System, options: Options): Promise<number> {
  const count = Math.ceil(options.moveBytes / options.moveValueBytes);
  const value = valueBytes(options.moveValueBytes);
  const key = (i: number) => `move:${String(i).padStart(8, "0")}`;
  const owner = system.slotOwner?.[keySlot(Buffer.from(key(0)))] ?? 0;
  const endpoint = system.endpoints()[owner]!;
  const client = await RespClient.connect(endpoint.host, endpoint.port, 5_000);
  const started = performance.now();
  try {
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < count; i = next++) {
        const reply = await client.command(["SET", key(i), value], 120_000);
        if (reply instanceof RespError) throw new Error(`SET ${key(i)}: ${reply.message}`);
        if (i > 0 && i % 1024 === 0)
          progress(
            `  ${system.target}: loaded ${((i * options.moveValueBytes) / 2 ** 20).toFixed(0)} MiB`,
          );
      }
    };
    await Promise.all(Array.from({ length: pipelineDepth }, lane));
  } finally {
    client.close();
  }
  const seconds = (performance.now() - started) / 1000;
  progress(
    `  ${system.target}: loaded ${count} values of ${options.moveValueBytes} bytes in ${seconds.toFixed(1)} s`,
  );
  return seconds;
}

const loadSeconds = new WeakMap<System, number>();

/**
 * PINGs every node every 100 ms (one at a time per node) until stopped: the
 * longest wait for a PONG says how long a node stopped serving while the
 * range moved (a snapshot of a big range is made, sent and applied).
 */
function stallProbe(system: System): {
  stop(): Promise<{ worstMs: number; byNode: string[] }>;
} {
  let running = true;
  const startedAt = performance.now();
  const probe = async (host: string, port: number) => {
    let worst = { ms: 0, atS: 0 };
    while (running) {
      const t0 = performance.now();
      await respOnce(host, port, ["PING"], 120_000).catch(() => undefined);
      const ms = performance.now() - t0;
      if (ms > worst.ms) worst = { ms, atS: (t0 - startedAt) / 1000 };
      await sleep(100);
    }
    return `${host}:${port} ${worst.ms.toFixed(0)} ms at ${worst.atS.toFixed(1)} s`;
  };
  // Nodes that join during the round (the fourth node receives the range) are probed too.
  const loops = new Map<string, Promise<string>>();
  const watch = (async () => {
    while (running) {
      for (const e of system.endpoints()) {
        const key = `${e.host}:${e.port}`;
        if (!loops.has(key)) loops.set(key, probe(e.host, e.port));
      }
      await sleep(500);
    }
  })();
  return {
    async stop() {
      running = false;
      await watch;
      const byNode = await Promise.all(loops.values());
      const worstMs = Math.max(0, ...byNode.map((line) => Number(line.split(" ")[1])));
      return { worstMs, byNode };
    },
  };
}

export const scaleMove: Workload = {
  id: "scale-move",
  title: "Scale: moving a big range to another node",
  measures:
    "Time to move one range holding the loaded bytes to a node without it (TESSERA NODE DECOMMISSION of a " +
    "replica's node → every range back to 3 voters, caught up), on a 3-node Tessera cluster that a fourth node " +
    "joins first; the 1 GiB figure is extrapolated linearly when less is loaded. No peer: lower is better.",
  metrics: [
    { key: "moveSeconds", label: "move", unit: "s", better: "lower", digits: 1 },
    { key: "moveMiBPerSec", label: "rate", unit: "MiB/s", better: "higher", digits: 1 },
    { key: "gibSeconds", label: "1 GiB (extrapolated)", unit: "s", better: "lower", digits: 0 },
    { key: "joinSettleSeconds", label: "join → settled", unit: "s", better: "lower", digits: 1 },
    { key: "stallMs", label: "longest PING wait", unit: "ms", better: "lower", digits: 0 },
  ],
  chart: ["moveSeconds"],
  comparisons: (options) => [
    { case: caseName(options), tessera: "tessera-3-r1", peers: [], likeForLike: "" },
  ],
  params: (options) => ({
    bytes: options.moveBytes,
    valueBytes: options.moveValueBytes,
    extrapolatedTo: options.moveBytes < GIB ? "1 GiB, linearly from the measured rate" : null,
    pipelineDepth,
  }),
  async prepare(ctx, system) {
    loadSeconds.set(system, await load(system, ctx.options));
  },
  async round(ctx, system): Promise<RoundResult> {
    const stalls = stallProbe(system);
    let result: RoundResult;
    try {
      result = await moveRound(ctx.options, system, ctx.checkCancelled);
    } catch (error) {
      await stalls.stop(); // its loops would otherwise keep the suite alive
      throw error;
    }
    const { worstMs, byNode } = await stalls.stop();
    for (const figures of Object.values(result)) {
      figures.values.stallMs = worstMs;
      // Which node waited longest, and when (seconds since the round began).
      if (figures.detail) figures.detail.stallByNode = byNode;
    }
    return result;
  },
};

async function moveRound(
  options: Options,
  system: System,
  checkCancelled: () => void,
): Promise<RoundResult> {
  const hooks = hooksOf(system);
  // 1. A fourth node joins; the cluster settles (it may move replicas onto it).
  const joinedAt = performance.now();
  const added = await hooks.addNode();
  const newId = await waitFor("the new node's id", () => hooks.nodeId(added), settleTimeoutMs, 500);
  await sleep(afterJoinMs);
  await hooks.waitHealthy(settleTimeoutMs);
  const joinSettleSeconds = (performance.now() - joinedAt) / 1000;
  checkCancelled();
  const before = await hooks.ranges();
  const big = before.find((r) => r.slots !== null);
  if (big === undefined) throw new Error("no range of keyspace 0");
  const movedOnJoin = big.voters.includes(newId);
  // 2. Decommission a replica of the big range other than the new node.
  const victimId = big.voters.find((v) => v !== newId)!;
  let victim = -1;
  for (let i = 0; i < system.nodes.length && victim === -1; i++) {
    if (system.nodes[i]!.isRunning() && (await hooks.nodeId(i).catch(() => -1)) === victimId)
      victim = i;
  }
  if (victim === -1) throw new Error(`no running process for node ${victimId}`);
  progress(
    `  ${system.target}: node ${newId} joined (big range ${movedOnJoin ? "moved onto it" : "not moved"}); decommissioning node ${victimId}`,
  );
  const started = performance.now();
  const refusals = await hooks.decommission(victim, settleTimeoutMs);
  await hooks.waitHealthy(settleTimeoutMs);
  const moveSeconds = (performance.now() - started) / 1000;
  const after = (await hooks.ranges()).find((r) => r.id === big.id);
  const rate = options.moveBytes / moveSeconds;
  const values: Record<string, number> = {
    moveSeconds,
    moveMiBPerSec: rate / (1024 * 1024),
    gibSeconds: GIB / rate,
    joinSettleSeconds,
  };
  return {
    [caseName(options)]: {
      values,
      detail: {
        bytes: options.moveBytes,
        extrapolated: options.moveBytes < GIB,
        loadSeconds: loadSeconds.get(system),
        newNode: newId,
        bigRangeMovedOnJoin: movedOnJoin,
        decommissioned: victimId,
        decommissionRefusals: refusals,
        bigRangeVotersBefore: big.voters,
        bigRangeVotersAfter: after?.voters,
      },
    },
  };
}
