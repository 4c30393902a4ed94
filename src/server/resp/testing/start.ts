/**
 * Starting a RESP server over an in-memory service on an ephemeral port, for
 * tests: one call gives the server, its service and its port.
 */
import { randomBytes } from "node:crypto";
import { globMatch, TesseraError } from "../../../lib/index.js";
import type { RespConfigStore, RespServerOptions } from "../options.js";
import { DEFAULT_RESP_LIMITS, type RespLimits } from "../options.js";
import { RespServer } from "../server.js";
import { MemoryKvService, type MemoryServiceOptions } from "./memory-service.js";

export interface TestServer {
  readonly server: RespServer;
  readonly service: MemoryKvService;
  readonly port: number;
  stop(): Promise<void>;
}

const silentLogger = { info() {}, warn() {}, error() {} };

/** A node configuration with one settable and one immutable parameter of the node's own. */
export function testConfigStore(): RespConfigStore {
  const values = new Map<string, string>([
    ["loglevel", "notice"],
    ["tessera-raft-election-ticks", "10"],
  ]);
  return {
    get: (pattern) =>
      [...values].filter(([name]) =>
        globMatch(Buffer.from(pattern.toLowerCase()), Buffer.from(name)),
      ),
    set: (name, value) => {
      if (name === "tessera-raft-election-ticks")
        throw new TesseraError("READONLY", "can't set immutable config");
      values.set(name, value);
    },
  };
}

export async function startTestServer(
  options: Partial<Omit<RespServerOptions, "limits">> & { limits?: Partial<RespLimits> } = {},
  serviceOptions: MemoryServiceOptions = {},
): Promise<TestServer> {
  const service = new MemoryKvService(serviceOptions);
  const server = new RespServer(
    {
      host: "127.0.0.1",
      port: 0,
      version: "0.1.0-test",
      runId: randomBytes(20).toString("hex"),
      dataDir: "/tmp/tessera-test",
      logger: silentLogger,
      config: testConfigStore(),
      ...options,
      limits: { ...DEFAULT_RESP_LIMITS, ...options.limits },
    },
    service,
  );
  const { port } = await server.start();
  return { server, service, port, stop: () => server.stop() };
}
