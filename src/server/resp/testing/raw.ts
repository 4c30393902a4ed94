/**
 * A raw TCP exchange for protocol tests: send bytes, collect what comes back.
 * The exchange ends when the server closes the socket, when `until` says the
 * expected bytes have arrived, or (without `until`) when the server has been
 * quiet for `quietMs` — unless `expectClose` says, from what arrived, that a
 * close must follow, in which case it waits for the close. `maxMs` bounds all.
 */
import { connect } from "node:net";

export interface RawResult {
  readonly text: string;
  readonly bytes: Buffer;
  /** The server closed the connection. */
  readonly closed: boolean;
}

export interface RawOptions {
  readonly quietMs?: number;
  /** Pause between the chunks of `data`. */
  readonly gapMs?: number;
  /** Done once this holds for the bytes received. */
  readonly until?: (received: Buffer) => boolean;
  /** When this holds for the text received, wait for the server to close. */
  readonly expectClose?: (text: string) => boolean;
  readonly maxMs?: number;
}

/** `until` for an exchange whose last request is `ECHO <marker>`. */
export function endsWithEcho(marker: string): (received: Buffer) => boolean {
  const tail = Buffer.from(`$${marker.length}\r\n${marker}\r\n`);
  return (received) =>
    received.length >= tail.length && received.subarray(received.length - tail.length).equals(tail);
}

export function rawExchange(
  port: number,
  data: string | Buffer | readonly (string | Buffer)[],
  options: RawOptions = {},
): Promise<RawResult> {
  const quietMs = options.quietMs ?? 250;
  const chunks = Array.isArray(data)
    ? (data as readonly (string | Buffer)[])
    : [data as string | Buffer];
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    let quiet: NodeJS.Timeout | undefined;
    let done = false;
    const bytes = () => Buffer.concat(received);
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      if (quiet !== undefined) clearTimeout(quiet);
      clearTimeout(limit);
      socket.destroy();
      const b = bytes();
      resolve({ bytes: b, text: b.toString("latin1"), closed });
    };
    const limit = setTimeout(() => finish(false), options.maxMs ?? 10_000);
    const arm = () => {
      if (options.until !== undefined) return;
      if (options.expectClose?.(bytes().toString("latin1")) === true) return;
      if (quiet !== undefined) clearTimeout(quiet);
      quiet = setTimeout(() => finish(false), quietMs);
    };
    socket.on("data", (d: Buffer) => {
      received.push(d);
      if (options.until?.(bytes()) === true) finish(false);
      else arm();
    });
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "ECONNRESET" || e.code === "EPIPE") finish(true);
      else if (!done) reject(e);
    });
    socket.on("connect", async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) break;
        socket.write(chunk);
        if (options.gapMs !== undefined) await new Promise((r) => setTimeout(r, options.gapMs));
      }
      arm();
    });
  });
}
