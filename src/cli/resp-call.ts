/**
 * A one-shot Redis-protocol call for the operator commands (`tessera
 * status`): connect, send the commands, read one reply each (with the shell's
 * reply reader, resp-reply.ts), close. Not a client library: no reconnects,
 * no pipelining beyond the commands given.
 */
import { connect } from "node:net";
import { encodeRequest, ReplyReader, type RespValue } from "./resp-reply.js";

export type { RespValue };

/** Sends `commands` to host:port and resolves with one reply each. */
export function respCall(
  host: string,
  port: number,
  commands: readonly (readonly string[])[],
  timeoutMs = 5_000,
): Promise<RespValue[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const reader = new ReplyReader();
    const replies: RespValue[] = [];
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`no reply from ${host}:${port} within ${timeoutMs} ms`)),
    );
    socket.on("connect", () => socket.write(Buffer.concat(commands.map((c) => encodeRequest(c)))));
    socket.on("data", (chunk: Buffer) => {
      try {
        reader.push(chunk);
        for (let r = reader.next(); r !== undefined; r = reader.next()) replies.push(r);
      } catch (e) {
        socket.destroy(e as Error);
        return;
      }
      if (replies.length >= commands.length) {
        socket.end();
        resolve(replies);
      }
    });
    socket.on("error", reject);
    socket.on("close", () => {
      if (replies.length < commands.length)
        reject(new Error(`connection to ${host}:${port} closed early`));
    });
  });
}

/** The text of a simple, bulk or verbatim string reply; undefined for any other. */
export function replyText(r: RespValue): string | undefined {
  if (r.t === "simple") return r.v;
  if (r.t === "bulk" || r.t === "verbatim") return r.v.toString("utf8");
  return undefined;
}
