/**
 * The serving side of bus calls: the table of method handlers and the turning
 * of a handler's outcome into a call result. A handler's TesseraError goes back
 * with its code, message and details; any other failure is a fault of this
 * node, logged here and answered with INTERNAL; an unknown method is
 * UNKNOWN_COMMAND. A result larger than a frame is replaced by LIMIT_EXCEEDED,
 * so the caller hears something rather than waiting for its deadline. At most
 * `busCallsServingMax` handlers run at once; a call past it is answered with
 * UNAVAILABLE at once (the caller may retry, or try another node).
 */
import { TesseraError } from "../lib/index.js";
import { type CallRequest, type CallResult, encodeCallResult } from "./codec.js";
import type { Connection } from "./connection.js";
import type { BusLogger } from "./logger.js";
import type { CallContext, CallHandler } from "./types.js";

export class CallServer {
  private readonly handlers = new Map<string, CallHandler>();
  private serving = 0;

  constructor(
    private readonly frameBytesMax: number,
    private readonly servingMax: number,
    private readonly logger: BusLogger,
    /** Sends an encoded result back on `conn` (through fault injection). */
    private readonly send: (conn: Connection, payload: Buffer) => void,
  ) {}

  /** Calls whose handler has not settled yet. */
  get inFlight(): number {
    return this.serving;
  }

  handle(method: string, handler: CallHandler): void {
    this.handlers.set(method, handler);
  }

  /** Runs the handler of `call` and replies on `conn` when it settles. */
  serve(conn: Connection, call: CallRequest): void {
    const { id, method } = call;
    const handler = this.handlers.get(method);
    if (handler === undefined) {
      const message = `unknown bus method '${method}'`;
      this.reply(conn, { id, ok: false, code: "UNKNOWN_COMMAND", message });
      return;
    }
    if (this.serving >= this.servingMax) {
      const message = `too many bus calls being served (busCallsServingMax = ${this.servingMax})`;
      this.reply(conn, { id, ok: false, code: "UNAVAILABLE", message });
      return;
    }
    this.serving++;
    const ctx: CallContext = {
      from: conn.remoteNodeId,
      fromAddress: conn.remote?.advertiseAddress || conn.remoteAddress,
    };
    Promise.resolve()
      .then(() => handler(call.request, ctx))
      .then(
        (value): CallResult => ({ id, ok: true, value }),
        (e: unknown) => this.errorResult(id, method, ctx, e),
      )
      .then((result) => {
        this.serving--;
        this.reply(conn, result);
      });
  }

  private errorResult(id: number, method: string, ctx: CallContext, e: unknown): CallResult {
    if (e instanceof TesseraError) {
      return {
        id,
        ok: false,
        code: e.code,
        message: e.message,
        ...(e.details !== undefined ? { details: e.details } : {}),
      };
    }
    this.logger.error(
      { err: e, method, from: ctx.from, fromAddress: ctx.fromAddress },
      "bus call handler failed",
    );
    const message = e instanceof Error ? e.message : String(e);
    return { id, ok: false, code: "INTERNAL", message: `${method} failed: ${message}` };
  }

  private reply(conn: Connection, result: CallResult): void {
    if (conn.state === "closed") return;
    let payload: Buffer;
    try {
      payload = encodeCallResult(result);
    } catch (e) {
      const ctx = { from: conn.remoteNodeId, fromAddress: conn.remoteAddress };
      payload = encodeCallResult(this.errorResult(result.id, "encoding the reply", ctx, e));
    }
    if (payload.length > this.frameBytesMax) {
      payload = encodeCallResult({
        id: result.id,
        ok: false,
        code: "LIMIT_EXCEEDED",
        message: `reply of ${payload.length} bytes exceeds busFrameBytesMax (${this.frameBytesMax})`,
      });
    }
    this.send(conn, payload);
  }
}
