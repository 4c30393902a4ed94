/**
 * One client connection: socket in, parser, pipeline, writer, socket out.
 *
 * Bytes are parsed into requests as they arrive, each becomes a pipeline entry
 * (see pipeline.ts), and finished replies are written in request order, batched
 * into one socket write per turn of the event loop. A protocol error is
 * answered after the replies of the requests before it, then the connection is
 * closed, as Redis does.
 *
 * Bounded everywhere: at most `pipelineDepthMax` requests queued (reading pauses
 * beyond), at most `replyBufferBytesMax` reply bytes waiting in the socket
 * (reading pauses until it drains), and the parser's own limits.
 */
import type { Socket } from "node:net";
import { isTesseraError } from "../../lib/index.js";
import type { ReadConsistency } from "../../range/types.js";
import type { ClientState } from "./command-spec.js";
import { errorReplyOf } from "./errors.js";
import type { RespLimits } from "./options.js";
import { type ParsedRequest, RequestParser } from "./parser.js";
import { Pipeline, type PipelineEntry } from "./pipeline.js";
import type { Reply } from "./reply.js";
import { ReplyWriter } from "./writer.js";

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly limits: RespLimits;
  prepare(client: Connection, request: ParsedRequest): PipelineEntry;
  /** A reply the pipeline produced, for the stats. */
  countReply(reply: Reply): void;
  countBytes(inBytes: number, outBytes: number): void;
  countProtocolError(): void;
  nowMs(): number;
  onClosed(client: Connection): void;
  warn(obj: object, msg: string): void;
}

/** How long a closed connection waits for the peer's FIN before the socket is destroyed. */
const CLOSE_GRACE_MS = 5_000;

export class Connection implements ClientState {
  name = "";
  libName = "";
  libVer = "";
  db = 0;
  proto: 2 | 3 = 2;
  authenticated: boolean;
  consistency: ReadConsistency;
  lastWriteIndex = 0;
  lastWriteRange: number | undefined = undefined;
  lastInteractionMs: number;
  lastCommand = "NULL";
  noEvict = false;
  noTouch = false;
  readOnly = false;
  asking = false;
  clusterAware = false;
  readonly addr: string;
  readonly laddr: string;

  private readonly parser: RequestParser;
  private readonly pipeline: Pipeline;
  private readonly writer = new ReplyWriter();
  private flushScheduled = false;
  private readingPaused = false;
  /** No more requests are taken (QUIT, protocol error, kill, shutdown). */
  private closing = false;
  private closed = false;
  private draining = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
    readonly createdAtMs: number,
    authenticated: boolean,
    consistency: ReadConsistency,
  ) {
    this.authenticated = authenticated;
    this.consistency = consistency;
    this.lastInteractionMs = createdAtMs;
    this.addr = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? 0}`;
    this.laddr = `${socket.localAddress ?? "?"}:${socket.localPort ?? 0}`;
    this.parser = new RequestParser(host.limits);
    this.parser.authenticated = authenticated;
    this.pipeline = new Pipeline(
      () => this.scheduleFlush(),
      () => this.proto,
    );
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => this.maybeResume());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.onSocketClosed());
    socket.on("timeout", () => {
      if (this.pipeline.length === 0) socket.destroy();
    });
  }

  get queryBufferBytes(): number {
    return this.parser.bufferedBytes;
  }

  setAuthenticated(value: boolean): void {
    this.authenticated = value;
    this.parser.authenticated = value;
  }

  setIdleTimeoutMs(ms: number): void {
    this.socket.setTimeout(ms);
  }

  /** Stops taking requests; closes once the replies already owed are written. */
  closeGracefully(): void {
    if (this.closed) return;
    this.closing = true;
    if (this.pipeline.length === 0) this.endSocket();
  }

  /** Closes at once, dropping anything owed. */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.host.countBytes(chunk.length, 0);
    this.lastInteractionMs = this.host.nowMs();
    try {
      this.parser.push(chunk);
    } catch (e) {
      if (!isTesseraError(e)) throw e;
      this.host.warn(
        { client: this.addr, code: e.code },
        "closing client: query buffer limit reached",
      );
      this.failWith(errorReplyOf(e));
      return;
    }
    this.drain();
  }

  /** Parses and queues every request the limits allow, then writes what is ready. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      const depthMax = this.host.limits.pipelineDepthMax;
      while (!this.closing && this.pipeline.length < depthMax) {
        // Until it authenticates, a client's requests are parsed one at a time,
        // so the parser's unauthenticated caps see the outcome of AUTH.
        if (!this.authenticated && this.pipeline.length > 0) break;
        let request: ParsedRequest | undefined;
        try {
          request = this.parser.next();
        } catch (e) {
          if (!isTesseraError(e)) throw e;
          this.host.countProtocolError();
          this.failWith(errorReplyOf(e));
          break;
        }
        if (request === undefined) break;
        this.pipeline.push(this.host.prepare(this, request));
      }
      this.updateReading();
    } finally {
      this.draining = false;
    }
    this.flush();
  }

  /** Queues an error reply that closes the connection once written. */
  private failWith(reply: Reply): void {
    this.pipeline.push({ kind: "local", closeAfter: true, run: () => reply });
    this.closing = true;
    this.flush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
      if (!this.closing) this.drain();
    });
  }

  private flush(): void {
    if (this.closed) return;
    const { replies, close } = this.pipeline.takeReplies();
    for (const { reply, proto } of replies) {
      this.host.countReply(reply);
      this.writer.write(reply, proto);
    }
    if (replies.length > 0) {
      const bytes = this.writer.take();
      this.host.countBytes(0, bytes.length);
      this.socket.write(bytes);
    }
    if (close) {
      this.closing = true;
      this.pipeline.discard();
      this.endSocket();
      return;
    }
    if (this.closing && this.pipeline.length === 0) this.endSocket();
    this.updateReading();
  }

  /** Half-closes after the replies are written; destroys if the peer lingers. */
  private endSocket(): void {
    if (this.socket.writableEnded) return;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private updateReading(): void {
    const shouldPause =
      this.pipeline.length >= this.host.limits.pipelineDepthMax ||
      this.socket.writableLength > this.host.limits.replyBufferBytesMax;
    if (shouldPause && !this.readingPaused) {
      this.readingPaused = true;
      this.socket.pause();
    } else if (!shouldPause && this.readingPaused) {
      this.readingPaused = false;
      this.socket.resume();
    }
  }

  private maybeResume(): void {
    this.updateReading();
    if (!this.closing) this.drain();
  }

  private onSocketClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.pipeline.discard();
    this.host.onClosed(this);
  }
}
