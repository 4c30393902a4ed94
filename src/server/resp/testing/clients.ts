/**
 * Client helpers for the RESP server's tests: ioredis connections that fail
 * fast instead of retrying, closed together at the end of a test file.
 */
import { Redis, type RedisOptions } from "ioredis";

export class Clients {
  private readonly open: Redis[] = [];

  constructor(private readonly port: number) {}

  connect(options: RedisOptions = {}): Redis {
    const r = new Redis({
      host: "127.0.0.1",
      port: this.port,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      ...options,
    });
    r.on("error", () => {});
    this.open.push(r);
    return r;
  }

  closeAll(): void {
    for (const r of this.open) r.disconnect();
    this.open.length = 0;
  }
}

/** The message of the error a promise rejects with (replies come as ReplyError). */
export async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected an error reply");
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
