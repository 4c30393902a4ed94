/**
 * Tessera as a 3-node cluster: the first node bootstraps, the other two
 * `--join` it through its bus port, one after the other, and the target is
 * ready once `TESSERA STATUS` shows every range with 3 voters, no learner and
 * a leader, and the data range's leader reports `connected_slaves:2` in
 * `INFO replication`.
 *
 * There is no CLUSTER SLOTS yet: a 3-node Tessera is one replicated range, and
 * any node accepts any command (followers forward writes and strong reads to
 * the leader). So clients are spread round-robin over the three nodes
 * (`slotOwner` is null): 2 of 3 clients pay one extra loopback hop through a
 * follower. Failover kills the node whose `INFO replication` says
 * `role:master` (the data range's leader).
 */

import { RespError } from "../loadgen/resp.js";
import { respOnce } from "../loadgen/resp-client.js";
import { freePorts } from "../support/ports.js";
import { makeTempDir, removeTempDir } from "../support/temp-dirs.js";
import { waitFor } from "../support/wait.js";
import type { NodeProcess } from "./node-process.js";
import { pingOk } from "./resp-probes.js";
import type { FailoverHooks, System, Target } from "./target.js";
import { closeSignal, tesseraNode } from "./tessera-node.js";
import { tesseraRuntime, tesseraSourcesPresent } from "./tessera-runtime.js";

const nodeCount = 3;

interface StatusRange {
  readonly rangeId: number;
  readonly leaderId: number;
  readonly voters: readonly number[];
  readonly learners: readonly number[];
}

function text(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
}

/** `INFO replication` of one node as field → value, or null if it does not answer. */
async function replicationInfo(node: NodeProcess): Promise<Map<string, string> | null> {
  if (!node.isRunning()) return null;
  try {
    const reply = await respOnce(node.host, node.port, ["INFO", "replication"], 2000);
    if (reply instanceof RespError) return null;
    const fields = new Map<string, string>();
    for (const line of text(reply).split(/\r?\n/)) {
      const colon = line.indexOf(":");
      if (colon > 0 && !line.startsWith("#"))
        fields.set(line.slice(0, colon), line.slice(colon + 1));
    }
    return fields;
  } catch {
    return null;
  }
}

/** True once `node` sees every range with `voters` voters, no learner and a leader. */
async function fullyReplicated(node: NodeProcess, voters: number): Promise<boolean> {
  try {
    const reply = await respOnce(node.host, node.port, ["TESSERA", "STATUS"], 2000);
    if (reply instanceof RespError) return false;
    const status = JSON.parse(text(reply)) as { ranges?: StatusRange[] };
    const ranges = status.ranges ?? [];
    return (
      ranges.length > 0 &&
      ranges.every((r) => r.voters.length === voters && r.learners.length === 0 && r.leaderId !== 0)
    );
  } catch {
    return false;
  }
}

/** Index of the node whose INFO replication says role:master, or -1. */
async function masterIndex(nodes: readonly NodeProcess[]): Promise<number> {
  const infos = await Promise.all(nodes.map((node) => replicationInfo(node)));
  return infos.findIndex((info) => info?.get("role") === "master");
}

function failoverHooks(nodes: readonly NodeProcess[]): FailoverHooks {
  return {
    async leaderIndex() {
      const index = await waitFor(
        "a node reporting role:master",
        async () => {
          const i = await masterIndex(nodes);
          return i === -1 ? undefined : i;
        },
        10_000,
      );
      return index;
    },
    async tryWrite(via, key, timeoutMs) {
      const node = nodes[via]!;
      try {
        const reply = await respOnce(node.host, node.port, ["SET", key, "probe"], timeoutMs);
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
      await waitFor(
        `every range replicated on ${nodeCount} voters`,
        async () => ((await fullyReplicated(nodes[0]!, nodeCount)) ? true : undefined),
        timeoutMs,
        200,
      );
      await waitFor(
        `the leader to see ${nodeCount - 1} connected replicas`,
        async () => {
          const i = await masterIndex(nodes);
          if (i === -1) return undefined;
          const info = await replicationInfo(nodes[i]!);
          return info?.get("connected_slaves") === String(nodeCount - 1) ? true : undefined;
        },
        timeoutMs,
        200,
      );
    },
  };
}

export const tesseraCluster: Target = {
  name: "tessera-3",
  description:
    "Tessera, 3-node cluster on loopback (a new cluster's ranges, user data in one range with 3 voters; clients round-robin over the nodes, followers forward to the leader)",
  protocol: "resp",
  nodeCount,
  durable: true,
  async check() {
    if (!tesseraSourcesPresent()) return "`tessera start` is not in this checkout yet";
    return null;
  },
  async start(): Promise<System> {
    const runtime = await tesseraRuntime();
    const ports = await freePorts(nodeCount * 3);
    const dirs: string[] = [];
    const nodes: NodeProcess[] = [];
    const close = async () => {
      await Promise.all(nodes.map((node) => node.kill(closeSignal())));
      for (const dir of dirs) removeTempDir(dir);
    };
    try {
      const join = `127.0.0.1:${ports[2]}`;
      for (let i = 0; i < nodeCount; i++) {
        const dir = makeTempDir(`tessera-3-${i}`);
        dirs.push(dir);
        const [resp, http, bus] = ports.slice(i * 3, i * 3 + 3) as [number, number, number];
        nodes.push(
          tesseraNode(
            `tessera-3-${i}`,
            runtime,
            { resp, http, bus },
            dir,
            i === 0 ? null : join,
            true,
          ),
        );
      }
      // Join one at a time, as the project's own cluster tests do.
      for (const node of nodes) await node.start();
      const endpoints = nodes.map((node) => ({ host: node.host, port: node.port }));
      const hooks = failoverHooks(nodes);
      await hooks.waitHealthy(120_000);
      return {
        target: "tessera-3",
        protocol: "resp",
        nodes,
        slotOwner: null,
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
