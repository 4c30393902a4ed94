/**
 * Tessera as a single node: one `tessera start` on loopback with a fresh data
 * directory. Every write is fsynced before it is acknowledged, so its
 * like-for-like peer for writes is `redis-durable`.
 */
import { freePorts } from "../support/ports.js";
import { makeTempDir, removeTempDir } from "../support/temp-dirs.js";
import type { System, Target } from "./target.js";
import { closeSignal, tesseraNode } from "./tessera-node.js";
import { tesseraRuntime, tesseraSourcesPresent } from "./tessera-runtime.js";

export const tessera: Target = {
  name: "tessera",
  description: "Tessera, single node (LMDB, fsync before every acknowledged write)",
  protocol: "resp",
  nodeCount: 1,
  durable: true,
  check: async () =>
    tesseraSourcesPresent()
      ? null
      : "`tessera start` is not in this checkout yet (src/cli/main.ts)",
  async start(): Promise<System> {
    const runtime = await tesseraRuntime();
    const [resp, http, bus] = (await freePorts(3)) as [number, number, number];
    const dir = makeTempDir("tessera");
    const node = tesseraNode("tessera", runtime, { resp, http, bus }, dir, null);
    try {
      await node.start();
    } catch (error) {
      await node.kill("SIGKILL");
      removeTempDir(dir);
      throw error;
    }
    return {
      target: "tessera",
      protocol: "resp",
      nodes: [node],
      slotOwner: null,
      endpoints: () => [{ host: node.host, port: node.port }],
      async close() {
        await node.kill(closeSignal());
        removeTempDir(dir);
      },
    };
  },
};
