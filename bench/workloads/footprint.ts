/**
 * Workload 6, footprint: after loading the bulk key set (1 M keys of 100 bytes
 * by default) and letting background work settle (the data directory stops
 * changing size), the server's resident memory (VmRSS of the process and its
 * children, from /proc; RssAnon too, the part not backed by mapped files such
 * as an LMDB store, which the kernel can evict) and the disk space of its data directory (allocated
 * blocks; apparent size kept in the JSON). Tessera against redis-server with
 * its append-only file.
 */
import type { Options } from "../options.js";
import type { Comparison } from "../report/model.js";
import { diskUsage, treeStatusBytes } from "../support/proc-stats.js";
import { sleep } from "../support/wait.js";
import type { System } from "../targets/index.js";
import { preloadKeys } from "./preload.js";
import type { RoundResult, Workload } from "./workload.js";

const settleEveryMs = 500;
const settleTimeoutMs = 60_000;

const caseName = (options: Options) =>
  `${options.bulkKeys.toLocaleString("en-US")} keys × ${options.valueBytes} B`;

function dataBytes(system: System): number {
  return system.nodes.reduce((sum, node) => sum + diskUsage(node.dataDir).allocatedBytes, 0);
}

/** Waits until the data directory's size is the same in two samples `settleEveryMs` apart. */
async function settle(system: System): Promise<void> {
  const deadline = performance.now() + settleTimeoutMs;
  let last = dataBytes(system);
  while (performance.now() < deadline) {
    await sleep(settleEveryMs);
    const now = dataBytes(system);
    if (now === last) return;
    last = now;
  }
}

export const footprint: Workload = {
  id: "footprint",
  title: "Footprint (memory and disk)",
  measures:
    "Resident memory (VmRSS) and disk space of the data directory of a node holding the bulk key set, " +
    "Tessera against redis-server with AOF.",
  metrics: [
    { key: "rssBytes", label: "RSS", unit: "MB", better: "lower", scale: 1e-6, digits: 1 },
    { key: "rssAnonBytes", label: "RSS anon", unit: "MB", better: "lower", scale: 1e-6, digits: 1 },
    { key: "diskBytes", label: "disk", unit: "MB", better: "lower", scale: 1e-6, digits: 1 },
  ],
  chart: ["rssBytes", "diskBytes"],
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
    rss: "VmRSS, process tree",
  }),
  async prepare(ctx, system) {
    if (system.protocol !== "resp") throw new Error(`${system.target} does not speak RESP`);
    await preloadKeys(system, ctx.options, ctx.options.bulkKeys);
    await settle(system);
  },
  async round(ctx, system): Promise<RoundResult> {
    ctx.checkCancelled();
    let rssBytes = 0;
    let rssAnonBytes = 0;
    let diskBytes = 0;
    let apparentBytes = 0;
    for (const node of system.nodes) {
      const pid = node.pid();
      if (pid === undefined) throw new Error(`${node.name} is not running`);
      rssBytes += treeStatusBytes(pid, "VmRSS");
      rssAnonBytes += treeStatusBytes(pid, "RssAnon");
      const disk = diskUsage(node.dataDir);
      diskBytes += disk.allocatedBytes;
      apparentBytes += disk.apparentBytes;
    }
    return {
      [caseName(ctx.options)]: {
        values: { rssBytes, rssAnonBytes, diskBytes, diskApparentBytes: apparentBytes },
        detail: {
          bytesPerKeyRss: rssBytes / ctx.options.bulkKeys,
          bytesPerKeyDisk: diskBytes / ctx.options.bulkKeys,
        },
      },
    };
  },
};
