/**
 * Single-node redis-server targets. `redis-durable` appends every write to
 * the AOF and fsyncs before replying (`--appendonly yes --appendfsync always
 * --save ""`): the like-for-like peer for Tessera's fsynced writes.
 * `redis-memory` keeps data in memory only (`--save "" --appendonly no`): the
 * ceiling for reads. Both run on loopback on a free port with a fresh
 * directory.
 */

import { freePort } from "../support/ports.js";
import { makeTempDir, removeTempDir } from "../support/temp-dirs.js";
import { missingCommands } from "./installed.js";
import { NodeProcess } from "./node-process.js";
import { pingOk } from "./resp-probes.js";
import { INSTALL_HINT, type System, type Target } from "./target.js";

const durableArgs = ["--appendonly", "yes", "--appendfsync", "always", "--save", ""];
const memoryArgs = ["--save", "", "--appendonly", "no"];

/** Arguments common to every redis-server the suite starts. */
export function redisBaseArgs(port: number, dir: string): string[] {
  return [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--protected-mode",
    "no",
    "--daemonize",
    "no",
    "--logfile",
    "",
  ];
}

export function redisNode(name: string, port: number, dir: string, extra: readonly string[]) {
  return new NodeProcess({
    name,
    host: "127.0.0.1",
    port,
    dataDir: dir,
    command: "redis-server",
    args: () => [...redisBaseArgs(port, dir), ...extra],
    ready: () => pingOk("127.0.0.1", port),
    readyTimeoutMs: 120_000,
  });
}

function singleRedis(name: string, description: string, durable: boolean): Target {
  return {
    name,
    description,
    protocol: "resp",
    nodeCount: 1,
    durable,
    check: async () => missingCommands(["redis-server"], INSTALL_HINT),
    async start(): Promise<System> {
      const dir = makeTempDir(name);
      const port = await freePort();
      const node = redisNode(name, port, dir, durable ? durableArgs : memoryArgs);
      try {
        await node.start();
      } catch (error) {
        await node.kill("SIGKILL");
        removeTempDir(dir);
        throw error;
      }
      return {
        target: name,
        protocol: "resp",
        nodes: [node],
        slotOwner: null,
        endpoints: () => [{ host: node.host, port: node.port }],
        async close() {
          await node.kill("SIGKILL");
          removeTempDir(dir);
        },
      };
    },
  };
}

export const redisDurable = singleRedis(
  "redis-durable",
  'redis-server, AOF with fsync before every reply (--appendonly yes --appendfsync always --save "")',
  true,
);

export const redisMemory = singleRedis(
  "redis-memory",
  'redis-server, in memory only (--save "" --appendonly no)',
  false,
);
