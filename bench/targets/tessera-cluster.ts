/**
 * Tessera as a 3-node cluster: the first node bootstraps, the other two
 * `--join` it through its bus port. Clients route by slot from CLUSTER SLOTS
 * (Redis Cluster semantics), and the owner a slot lists is the leader of the
 * range holding it, which is what failover kills.
 *
 * Until cluster membership works end to end the target is skipped; set
 * `clusterSupported` to true (or run with TESSERA_BENCH_CLUSTER=1 to try it
 * early) and the replicated-writes and failover workloads include it.
 */

import { keySlot } from "../loadgen/key-slot.js";
import { RespError } from "../loadgen/resp.js";
import { respOnce } from "../loadgen/resp-client.js";
import { freePorts } from "../support/ports.js";
import { makeTempDir, removeTempDir } from "../support/temp-dirs.js";
import { waitFor } from "../support/wait.js";
import type { NodeProcess } from "./node-process.js";
import { clusterSlotOwners, pingOk } from "./resp-probes.js";
import type { FailoverHooks, System, Target } from "./target.js";
import { tesseraNode } from "./tessera-node.js";
import { tesseraRuntime, tesseraSourcesPresent } from "./tessera-runtime.js";

const clusterSupported = false;
const nodeCount = 3;

function runningEndpoints(nodes: readonly NodeProcess[]) {
  return nodes
    .filter((node) => node.isRunning())
    .map((node) => ({ host: node.host, port: node.port }));
}

function failoverHooks(nodes: readonly NodeProcess[]): FailoverHooks {
  const all = nodes.map((node) => ({ host: node.host, port: node.port }));
  return {
    async leaderIndex(key) {
      const running = runningEndpoints(nodes);
      // Ask a running node; the map is expressed in indices of `running`, so translate back.
      const owners = await clusterSlotOwners(running);
      const owner = running[owners[keySlot(Buffer.from(key))]!]!;
      return all.findIndex((endpoint) => endpoint.port === owner.port);
    },
    async tryWrite(via, key, timeoutMs) {
      const node = nodes[via]!;
      try {
        let reply = await respOnce(node.host, node.port, ["SET", key, "probe"], timeoutMs);
        if (reply instanceof RespError && reply.message.startsWith("MOVED")) {
          const [, , address] = reply.message.split(" ");
          const port = Number(address?.split(":").pop());
          const target = nodes.find((n) => n.port === port && n.isRunning());
          if (target === undefined) return false;
          reply = await respOnce(target.host, target.port, ["SET", key, "probe"], timeoutMs);
        }
        return reply === "OK";
      } catch {
        return false;
      }
    },
    async waitHealthy(timeoutMs) {
      for (const node of nodes) {
        await waitFor(
          `${node.name} serving`,
          async () => ((await pingOk(node.host, node.port)) ? true : undefined),
          timeoutMs,
        );
      }
      await waitFor("every slot covered", () => clusterSlotOwners(all), timeoutMs);
    },
  };
}

export const tesseraCluster: Target = {
  name: "tessera-3",
  description: "Tessera, 3-node cluster on loopback (Raft, 3 replicas per range)",
  protocol: "resp",
  nodeCount,
  durable: true,
  async check() {
    if (!tesseraSourcesPresent()) return "`tessera start` is not in this checkout yet";
    if (!clusterSupported && process.env.TESSERA_BENCH_CLUSTER !== "1") {
      return "needs --join cluster support (enable in bench/targets/tessera-cluster.ts)";
    }
    return null;
  },
  async start(): Promise<System> {
    const runtime = await tesseraRuntime();
    const ports = await freePorts(nodeCount * 3);
    const dirs: string[] = [];
    const nodes: NodeProcess[] = [];
    const close = async () => {
      await Promise.all(nodes.map((node) => node.kill("SIGKILL")));
      for (const dir of dirs) removeTempDir(dir);
    };
    try {
      const join = `127.0.0.1:${ports[2]}`;
      for (let i = 0; i < nodeCount; i++) {
        const dir = makeTempDir(`tessera-3-${i}`);
        dirs.push(dir);
        const [resp, http, bus] = ports.slice(i * 3, i * 3 + 3) as [number, number, number];
        nodes.push(
          tesseraNode(`tessera-3-${i}`, runtime, { resp, http, bus }, dir, i === 0 ? null : join),
        );
      }
      await nodes[0]!.start();
      await Promise.all(nodes.slice(1).map((node) => node.start()));
      const endpoints = nodes.map((node) => ({ host: node.host, port: node.port }));
      const hooks = failoverHooks(nodes);
      await hooks.waitHealthy(60_000);
      const slotOwner = await clusterSlotOwners(endpoints);
      return {
        target: "tessera-3",
        protocol: "resp",
        nodes,
        slotOwner,
        endpoints: () => endpoints,
        failover: hooks,
        close,
      };
    } catch (error) {
      await close();
      throw error;
    }
  },
};
