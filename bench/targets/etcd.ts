/**
 * etcd: three members on loopback forming one Raft group, each with its own
 * data directory (etcd fsyncs its WAL before acknowledging a write, and a
 * write is acknowledged once a majority has it). Load goes through etcd's
 * HTTP/JSON gateway (`/v3/kv/put`), spread over all members. Failover hooks
 * find the leader with `/v3/maintenance/status` and probe writes through a
 * surviving member; a killed member restarts on its own data directory.
 */
import { freePorts } from "../support/ports.js";
import { makeTempDir, removeTempDir } from "../support/temp-dirs.js";
import { waitFor } from "../support/wait.js";
import { httpJson } from "./http-json.js";
import { missingCommands } from "./installed.js";
import { NodeProcess } from "./node-process.js";
import { type FailoverHooks, INSTALL_HINT, type System, type Target } from "./target.js";

const members = 3;
const host = "127.0.0.1";

async function healthy(port: number): Promise<boolean> {
  try {
    const answer = await httpJson(host, port, "GET", "/health", undefined, 1000);
    return answer.status === 200 && /"health"\s*:\s*"true"/.test(answer.body);
  } catch {
    return false;
  }
}

function memberArgs(i: number, dir: string, clientPorts: number[], peerPorts: number[]): string[] {
  const cluster = peerPorts.map((p, j) => `m${j}=http://${host}:${p}`).join(",");
  return [
    "--name",
    `m${i}`,
    "--data-dir",
    dir,
    "--listen-client-urls",
    `http://${host}:${clientPorts[i]}`,
    "--advertise-client-urls",
    `http://${host}:${clientPorts[i]}`,
    "--listen-peer-urls",
    `http://${host}:${peerPorts[i]}`,
    "--initial-advertise-peer-urls",
    `http://${host}:${peerPorts[i]}`,
    "--initial-cluster",
    cluster,
    "--initial-cluster-token",
    "tessera-bench",
    "--initial-cluster-state",
    "new",
    "--logger",
    "zap",
    "--log-level",
    "warn",
  ];
}

function failoverHooks(nodes: readonly NodeProcess[]): FailoverHooks {
  return {
    async leaderIndex() {
      for (const node of nodes) {
        if (!node.isRunning()) continue;
        try {
          const answer = await httpJson(
            node.host,
            node.port,
            "POST",
            "/v3/maintenance/status",
            {},
            2000,
          );
          const status = JSON.parse(answer.body) as {
            leader?: string;
            header?: { member_id?: string };
          };
          if (status.leader === undefined || status.leader === "0") continue;
          if (status.header?.member_id === status.leader) return nodes.indexOf(node);
          for (const other of nodes) {
            if (other === node || !other.isRunning()) continue;
            const a = await httpJson(
              other.host,
              other.port,
              "POST",
              "/v3/maintenance/status",
              {},
              2000,
            );
            const s = JSON.parse(a.body) as { header?: { member_id?: string } };
            if (s.header?.member_id === status.leader) return nodes.indexOf(other);
          }
        } catch {
          // Try the next member.
        }
      }
      throw new Error("etcd: no member knows a leader");
    },
    async tryWrite(via, key, timeoutMs) {
      const node = nodes[via]!;
      try {
        const answer = await httpJson(
          node.host,
          node.port,
          "POST",
          "/v3/kv/put",
          {
            key: Buffer.from(key).toString("base64"),
            value: Buffer.from("probe").toString("base64"),
          },
          timeoutMs,
        );
        return answer.status === 200 && answer.body.includes('"header"');
      } catch {
        return false;
      }
    },
    async waitHealthy(timeoutMs) {
      for (const node of nodes) {
        await waitFor(
          `${node.name} healthy`,
          async () => ((await healthy(node.port)) ? true : undefined),
          timeoutMs,
        );
      }
    },
  };
}

export const etcd: Target = {
  name: "etcd",
  description: "etcd, 3 members on loopback (WAL fsync, majority replication), HTTP/JSON gateway",
  protocol: "etcd-http",
  nodeCount: members,
  durable: true,
  check: async () => missingCommands(["etcd"], INSTALL_HINT),
  async start(): Promise<System> {
    const ports = await freePorts(members * 2);
    const clientPorts = ports.slice(0, members);
    const peerPorts = ports.slice(members);
    const dirs: string[] = [];
    const nodes: NodeProcess[] = [];
    const close = async () => {
      await Promise.all(nodes.map((node) => node.kill("SIGKILL")));
      for (const dir of dirs) removeTempDir(dir);
    };
    try {
      for (let i = 0; i < members; i++) {
        const root = makeTempDir(`etcd-${i}`);
        dirs.push(root);
        const dir = `${root}/data`;
        nodes.push(
          new NodeProcess({
            name: `etcd-${i}`,
            host,
            port: clientPorts[i]!,
            dataDir: dir,
            command: "etcd",
            args: () => memberArgs(i, dir, clientPorts, peerPorts),
            ready: () => healthy(clientPorts[i]!),
            readyTimeoutMs: 60_000,
          }),
        );
      }
      // Members wait for each other to form the cluster: spawn all, then wait.
      for (const node of nodes) node.spawn();
      await Promise.all(nodes.map((node) => node.waitReady()));
      return {
        target: "etcd",
        protocol: "etcd-http",
        nodes,
        slotOwner: null,
        endpoints: () => nodes.map((node) => ({ host: node.host, port: node.port })),
        failover: failoverHooks(nodes),
        close,
      };
    } catch (error) {
      await close();
      throw error;
    }
  },
};
