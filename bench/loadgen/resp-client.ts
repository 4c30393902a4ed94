/**
 * A minimal promise-based RESP client for the suite's control traffic
 * (readiness probes, CLUSTER SLOTS, INFO, a probe write during failover): one
 * socket, replies matched to commands in order, every call bounded by a
 * timeout. It is deliberately not the load generator (see resp-worker.ts),
 * which never allocates a promise per command.
 */
import { connect, type Socket } from "node:net";
import { encodeCommand, ReplyReader, type RespValue } from "./resp.js";

interface Waiter {
  resolve(value: RespValue): void;
  reject(error: Error): void;
}

export class RespClient {
  private readonly waiters: Waiter[] = [];
  private readonly reader = new ReplyReader((value) => this.waiters.shift()?.resolve(value));
  private closedError: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      try {
        this.reader.feed(chunk);
      } catch (error) {
        this.fail(error instanceof Error ? error : new Error(String(error)));
        socket.destroy();
      }
    });
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () => this.fail(new Error("connection closed")));
  }

  /** Connects to host:port, failing after `timeoutMs`. */
  static connect(host: string, port: number, timeoutMs = 2000): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new RespClient(socket));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Sends one command and resolves with its reply (an error reply is a value, not a throw). */
  command(args: readonly (string | Buffer)[], timeoutMs = 5000): Promise<RespValue> {
    if (this.closedError !== null) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        this.fail(new Error(`${String(args[0])} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.socket.write(encodeCommand(args));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private fail(error: Error): void {
    if (this.closedError === null) this.closedError = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}

/** Opens a connection, sends one command, closes; for probes. */
export async function respOnce(
  host: string,
  port: number,
  args: readonly (string | Buffer)[],
  timeoutMs = 2000,
): Promise<RespValue> {
  const client = await RespClient.connect(host, port, timeoutMs);
  try {
    return await client.command(args, timeoutMs);
  } finally {
    client.close();
  }
}
