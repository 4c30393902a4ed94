/**
 * Redis Cluster: three redis-server masters (`--cluster-enabled yes`), no
 * replicas, slots spread by `redis-cli --cluster create … --cluster-replicas 0
 * --cluster-yes`. Each master persists like `redis-durable` (AOF, fsync
 * always), so the cluster is the sharded peer of a Tessera cluster for
 * durable writes. Without replicas it cannot fail over, so it offers no
 * failover hooks. Clients route by slot (the load generator computes CRC16
 * slots and uses the map read from CLUSTER SLOTS).
 */

import { respOnce } from "../loadgen/resp-client.js";
import { runCommand } from "../support/children.js";
import { freePorts } from "../support/ports.js";
import { makeTempDir, removeTempDir } from "../support/temp-dirs.js";
import { waitFor } from "../support/wait.js";
import { missingCommands } from "./installed.js";
import type { NodeProcess } from "./node-process.js";
import { redisNode } from "./redis.js";
import { clusterSlotOwners, verifyKeySlots } from "./resp-probes.js";
import { INSTALL_HINT, type System, type Target } from "./target.js";

const masters = 3;
const clusterArgs = (busPort: number) => [
  "--cluster-enabled",
  "yes",
  "--cluster-config-file",
  "nodes.conf",
  "--cluster-port",
  String(busPort),
  "--cluster-node-timeout",
  "5000",
  "--appendonly",
  "yes",
  "--appendfsync",
  "always",
  "--save",
  "",
];

async function clusterOk(node: NodeProcess): Promise<boolean> {
  const reply = await respOnce(node.host, node.port, ["CLUSTER", "INFO"], 2000);
  const info = Buffer.isBuffer(reply) ? reply.toString("utf8") : String(reply);
  return info.includes("cluster_state:ok");
}

export const redisCluster: Target = {
  name: "redis-cluster",
  description: "Redis Cluster, 3 masters, no replicas, AOF fsync always on each master",
  protocol: "resp",
  nodeCount: masters,
  durable: true,
  check: async () => missingCommands(["redis-server", "redis-cli"], INSTALL_HINT),
  async start(): Promise<System> {
    const ports = await freePorts(masters * 2);
    const dirs: string[] = [];
    const nodes: NodeProcess[] = [];
    const close = async () => {
      await Promise.all(nodes.map((node) => node.kill("SIGKILL")));
      for (const dir of dirs) removeTempDir(dir);
    };
    try {
      for (let i = 0; i < masters; i++) {
        const dir = makeTempDir(`redis-cluster-${i}`);
        dirs.push(dir);
        nodes.push(
          redisNode(`redis-cluster-${i}`, ports[i]!, dir, clusterArgs(ports[masters + i]!)),
        );
      }
      await Promise.all(nodes.map((node) => node.start()));
      const create = await runCommand(
        "redis-cli --cluster create",
        "redis-cli",
        [
          "--cluster",
          "create",
          ...nodes.map((node) => `${node.host}:${node.port}`),
          "--cluster-replicas",
          "0",
          "--cluster-yes",
        ],
        60_000,
      );
      if (create.code !== 0)
        throw new Error(`cluster create failed: ${create.output.slice(-1000)}`);
      for (const node of nodes) {
        await waitFor(
          `${node.name} cluster_state:ok`,
          async () => ((await clusterOk(node)) ? true : undefined),
          30_000,
        );
      }
      const endpoints = nodes.map((node) => ({ host: node.host, port: node.port }));
      const slotOwner = await waitFor(
        "every slot covered",
        () => clusterSlotOwners(endpoints),
        30_000,
      );
      await verifyKeySlots(endpoints[0]!);
      return {
        target: "redis-cluster",
        protocol: "resp",
        nodes,
        slotOwner,
        endpoints: () => endpoints,
        close,
      };
    } catch (error) {
      await close();
      throw error;
    }
  },
};
