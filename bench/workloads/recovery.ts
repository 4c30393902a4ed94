/**
 * Workload 5, recovery: a node holding the bulk key set (1 M keys of 100 bytes
 * by default) is killed with SIGKILL — every acknowledged write must survive a
 * crash — and restarted on the same data directory; the figure is the time
 * from spawning the process to the first GET that returns a loaded key's
 * value (so a server still loading, answering -LOADING, is not yet serving).
 * Tessera against redis-server replaying its append-only file.
 */
import { keyName, valueBytes } from "../loadgen/keys.js";
import { respOnce } from "../loadgen/resp-client.js";
import type { Options } from "../options.js";
import type { Comparison } from "../report/model.js";
import { sleep } from "../support/wait.js";
import type { System } from "../targets/index.js";
import { preloadKeys } from "./preload.js";
import type { RoundResult, Workload } from "./workload.js";

const pollEveryMs = 5;
const serveTimeoutMs = 600_000;

const caseName = (options: Options) => `${options.bulkKeys.toLocaleString("en-US")} keys`;

/** Milliseconds from `spawnedAt` until GET `key` returns `expected`. */
async function timeToServe(system: System, key: string, expected: Buffer, spawnedAt: number) {
  const node = system.nodes[0]!;
  for (let _attempt = 0; performance.now() - spawnedAt < serveTimeoutMs; _attempt++) {
    if (!node.isRunning())
      throw new Error(`${node.name} exited while recovering:\n${node.output().slice(-1500)}`);
    try {
      const reply = await respOnce(node.host, node.port, ["GET", key], 1000);
      if (Buffer.isBuffer(reply)) {
        if (!reply.equals(expected))
          throw new Error(`${node.name} returned a wrong value for ${key} after recovery`);
        return performance.now() - spawnedAt;
      }
    } catch (error) {
      if (error instanceof Error && error.message.includes("wrong value")) throw error;
      // Not listening yet, or loading.
    }
    await sleep(pollEveryMs);
  }
  throw new Error(`${node.name} did not serve within ${serveTimeoutMs} ms`);
}

export const recovery: Workload = {
  id: "recovery",
  title: "Recovery after a crash",
  measures:
    "Time from process start to the first successful GET for a node holding the bulk key set, " +
    "after SIGKILL: Tessera against redis-server replaying its AOF (appendfsync always).",
  metrics: [
    { key: "recoveryMs", label: "start → first GET", unit: "ms", better: "lower", digits: 0 },
  ],
  chart: ["recoveryMs"],
  comparisons: (options): Comparison[] => [
    {
      case: caseName(options),
      tessera: "tessera",
      peers: ["redis-durable"],
      likeForLike: "redis-durable",
    },
  ],
  params: (options) => ({
    keys: options.bulkKeys,
    valueBytes: options.valueBytes,
    signal: "SIGKILL",
    pollEveryMs,
  }),
  async prepare(ctx, system) {
    if (system.protocol !== "resp" || system.nodes.length !== 1) {
      throw new Error(`${system.target}: recovery is measured on single RESP nodes`);
    }
    await preloadKeys(system, ctx.options, ctx.options.bulkKeys);
  },
  async round(ctx, system): Promise<RoundResult> {
    ctx.checkCancelled();
    const node = system.nodes[0]!;
    const key = keyName(ctx.options.bulkKeys - 1);
    const expected = valueBytes(ctx.options.valueBytes);
    await node.kill("SIGKILL");
    const spawnedAt = performance.now();
    node.spawn();
    const recoveryMs = await timeToServe(system, key, expected, spawnedAt);
    await node.waitReady();
    return { [caseName(ctx.options)]: { values: { recoveryMs } } };
  },
};
