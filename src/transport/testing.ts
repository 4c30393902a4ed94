/**
 * Helpers for the bus's tests: buses on 127.0.0.1 port 0 with small limits, a
 * logger that records its lines, an inbox of delivered Raft messages and a
 * wait-until helper. Test code only.
 */
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { type LogIndex, type NodeId, type RangeId, SeededRng, type Term } from "../lib/index.js";
import type { Message } from "../raft/index.js";
import { encodeHello } from "./codec.js";
import { encodeFrame, FrameDecoder, type FrameKind } from "./frame.js";
import { type BusLimits, DEFAULT_BUS_LIMITS } from "./limits.js";
import type { BusLogger } from "./logger.js";
import { TcpBus, type TcpBusOptions } from "./tcp-bus.js";

export interface LogLine {
  readonly level: "info" | "warn" | "error";
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

export class RecordingLogger implements BusLogger {
  readonly lines: LogLine[] = [];
  info(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: "info", fields, message });
  }
  warn(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: "warn", fields, message });
  }
  error(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: "error", fields, message });
  }
  has(level: LogLine["level"], pattern: RegExp): boolean {
    return this.lines.some(
      (l) => l.level === level && pattern.test(`${l.message} ${JSON.stringify(l.fields)}`),
    );
  }
}

export const TEST_BUS_LIMITS: BusLimits = {
  ...DEFAULT_BUS_LIMITS,
  busReconnectBackoffMsMin: 10,
  busReconnectBackoffMsMax: 100,
  busConnectTimeoutMs: 1_000,
  busHandshakeTimeoutMs: 1_000,
};

export interface TestBusOptions extends Partial<Omit<TcpBusOptions, "limits" | "nodeId">> {
  readonly nodeId?: number;
  readonly limits?: Partial<BusLimits>;
}

/** A bus under test, with the lines it logged. */
export type TestBus = TcpBus & { readonly log: RecordingLogger };

export async function startBus(options: TestBusOptions = {}): Promise<TestBus> {
  const log = new RecordingLogger();
  const bus = await TcpBus.listen({
    host: "127.0.0.1",
    port: 0,
    clusterId: "test-cluster",
    faultsEnabled: true,
    rng: new SeededRng(1),
    logger: log,
    ...options,
    nodeId: (options.nodeId ?? 0) as NodeId,
    limits: { ...TEST_BUS_LIMITS, ...options.limits },
  });
  return Object.assign(bus, { log });
}

/** Starts `n` buses with ids 1..n that know each other's addresses. */
export async function startMesh(n: number, options: TestBusOptions = {}): Promise<TestBus[]> {
  const buses = [];
  for (let i = 1; i <= n; i++) buses.push(await startBus({ ...options, nodeId: i }));
  for (const a of buses) {
    for (const b of buses) if (a !== b) a.setPeer(b.localNodeId, b.advertiseAddress);
  }
  return buses;
}

export interface Delivery {
  readonly from: NodeId;
  readonly rangeId: RangeId;
  readonly message: Message;
}

/** Collects every Raft message a bus delivers. */
export function inbox(bus: TcpBus): Delivery[] {
  const got: Delivery[] = [];
  bus.onRaft((from, rangeId, messages) => {
    for (const message of messages) got.push({ from, rangeId, message });
  });
  return got;
}

export function heartbeat(from: number, to: number, commit: number): Message {
  return {
    type: "MsgHeartbeat",
    from: from as NodeId,
    to: to as NodeId,
    term: 1 as Term,
    commit: commit as LogIndex,
  };
}

export function append(from: number, to: number, index: number, dataBytes: number): Message {
  return {
    type: "MsgApp",
    from: from as NodeId,
    to: to as NodeId,
    term: 1 as Term,
    logTerm: 1 as Term,
    index: (index - 1) as LogIndex,
    commit: 0 as LogIndex,
    entries: [
      {
        term: 1 as Term,
        index: index as LogIndex,
        type: "normal",
        data: new Uint8Array(dataBytes).fill(index & 0xff),
      },
    ],
  };
}

/** Waits until `condition` holds, polling; fails with `what` after `timeoutMs`. */
export async function eventually(
  condition: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A raw TCP endpoint speaking frames by hand, to play a misbehaving or stalled peer. */
export interface RawPeer {
  readonly socket: Socket;
  readonly frames: { kind: number; payload: Buffer }[];
  readonly closed: Promise<void>;
  send(kind: number, payload: Uint8Array): void;
}

export function wrapRaw(socket: Socket): RawPeer {
  const frames: { kind: number; payload: Buffer }[] = [];
  const decoder = new FrameDecoder(1 << 30);
  socket.on("data", (chunk: Buffer) => {
    try {
      decoder.push(chunk, (kind, payload) => frames.push({ kind, payload: Buffer.from(payload) }));
    } catch {
      socket.destroy();
    }
  });
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  return {
    socket,
    frames,
    closed,
    send: (kind, payload) => socket.write(encodeFrame(kind as FrameKind, payload)),
  };
}

export async function rawConnect(port: number): Promise<RawPeer> {
  const socket = connect({ host: "127.0.0.1", port });
  await once(socket, "connect");
  return wrapRaw(socket);
}

export function helloOf(nodeId: number, clusterId = "test-cluster", protocolVersion = 1): Buffer {
  return encodeHello({
    protocolVersion,
    clusterId,
    nodeId: nodeId as NodeId,
    advertiseAddress: `127.0.0.1:${1000 + nodeId}`,
  });
}
