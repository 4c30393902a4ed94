/**
 * One TCP connection of the bus, either side: the handshake, frame decoding,
 * and the bounded send queue that batches frames into one socket write per
 * turn of the event loop.
 *
 * Handshake: the dialing side sends hello first; the accepting side answers
 * hello-ack (its own hello) or hello-refused (a reason) and closes. Each side
 * checks the other's hello through `events.checkHello`; a refusal is logged
 * on both sides. Until the handshake completes, the only frames allowed are
 * the handshake's; anything else is a protocol error.
 *
 * Sending: frames wait in a queue bounded by bytes and items; the queue is
 * flushed on `setImmediate` with the socket corked, so everything queued in one
 * turn leaves in one write (one writev). Consecutive Raft groups share one
 * raft frame up to `busFrameBytesMax`. While the socket's own buffer is full
 * (`writableNeedDrain`) nothing more is handed to it, so a stalled peer makes
 * the queue fill and the bus drop or refuse, instead of buffering without end.
 * Memory per connection is thus at most about twice `busSendQueueBytesMax`.
 */
import type { Socket } from "node:net";
import { type NodeId, TesseraError } from "../lib/index.js";
import { decodeHello, decodeRefusal, encodeHello, encodeRefusal, type Hello } from "./codec.js";
import {
  FRAME_HEADER_BYTES,
  FrameDecoder,
  FrameKind,
  frameHeader,
  frameKindName,
} from "./frame.js";
import type { BusLimits } from "./limits.js";
import type { BusLogger } from "./logger.js";
import { newPeerTraffic, type PeerTraffic } from "./stats.js";

export type ConnectionRole = "dial" | "accept";
export type ConnectionState = "handshaking" | "ready" | "closed";

export interface ConnectionEvents {
  /** The hello this side sends (read when the handshake starts). */
  localHello(): Hello;
  /** Why the remote hello is refused, or undefined to accept it. */
  checkHello(conn: Connection, remote: Hello): string | undefined;
  onReady(conn: Connection): void;
  /** A frame after the handshake (raft, call, call-result, ping, pong). */
  onFrame(conn: Connection, kind: FrameKind, payload: Buffer): void;
  /** Called once when the connection ends, whatever the cause. */
  onClose(conn: Connection, reason: string): void;
}

interface QueuedFrame {
  readonly kind: FrameKind;
  readonly parts: Buffer[];
  bytes: number;
}

export class Connection {
  state: ConnectionState = "handshaking";
  remote: Hello | undefined;
  /** Counters of the peer this connection talks to (replaced once the peer is known). */
  traffic: PeerTraffic = newPeerTraffic();
  lastReceivedAtMs = Date.now();
  lastPingAtMs = 0;
  /** Why the handshake was refused (by either side), if it was. */
  refusal: string | undefined;
  /** Raft messages still queued when the connection closed (lost with it). */
  raftMessagesDiscarded = 0;

  private readonly decoder: FrameDecoder;
  private readonly queue: QueuedFrame[] = [];
  private queuedBytes = 0;
  private queuedItems = 0;
  private queuedRaftMessages = 0;
  private flushScheduled = false;
  private handshakeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: Socket,
    readonly role: ConnectionRole,
    private readonly limits: BusLimits,
    private readonly events: ConnectionEvents,
    private readonly logger: BusLogger,
    /** The peer's address as this side knows it (for logs and `ctx.fromAddress`). */
    readonly remoteAddress: string,
    /** The node this side expects to reach (dial side; 0 = any, for calls by address). */
    readonly expectedNodeId: NodeId,
  ) {
    this.decoder = new FrameDecoder(limits.busFrameBytesMax);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, limits.busPingIdleMs);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("drain", () => this.scheduleFlush());
    socket.on("error", (e) => this.close(`socket error: ${e.message}`));
    socket.on("close", () => this.close("connection closed by the peer"));
    socket.on("end", () => this.close("connection ended by the peer"));
  }

  /** Starts the handshake: the dialing side speaks first once connected. */
  startHandshake(): void {
    this.handshakeTimer = setTimeout(
      () => this.close(`no handshake within ${this.limits.busHandshakeTimeoutMs} ms`),
      this.limits.busHandshakeTimeoutMs,
    );
    if (this.role === "dial") this.writeNow(FrameKind.hello, encodeHello(this.events.localHello()));
  }

  get remoteNodeId(): NodeId {
    return this.remote?.nodeId ?? (0 as NodeId);
  }

  get queueBytes(): number {
    return this.queuedBytes;
  }

  /**
   * Queues a Raft group; false if it does not fit the queue's bounds (the
   * caller counts the drop). A group larger than a frame never fits.
   */
  enqueueRaft(group: Buffer, messageCount: number): boolean {
    if (this.state === "closed" || group.length > this.limits.busFrameBytesMax) return false;
    const last = this.queue[this.queue.length - 1];
    const merge =
      last !== undefined &&
      last.kind === FrameKind.raft &&
      last.bytes + group.length <= this.limits.busFrameBytesMax;
    const addBytes = group.length + (merge ? 0 : FRAME_HEADER_BYTES);
    if (!this.fits(addBytes)) return false;
    if (merge) {
      last.parts.push(group);
      last.bytes += group.length;
    } else {
      this.queue.push({ kind: FrameKind.raft, parts: [group], bytes: group.length });
    }
    this.queuedBytes += addBytes;
    this.queuedItems++;
    this.queuedRaftMessages += messageCount;
    this.scheduleFlush();
    return true;
  }

  /** Queues a whole frame; false if it does not fit the bounds. Pings and pongs always fit. */
  enqueue(kind: FrameKind, payload: Buffer): boolean {
    if (this.state === "closed" || payload.length > this.limits.busFrameBytesMax) return false;
    const addBytes = payload.length + FRAME_HEADER_BYTES;
    const control = kind === FrameKind.ping || kind === FrameKind.pong;
    if (!control && !this.fits(addBytes)) return false;
    this.queue.push({ kind, parts: [payload], bytes: payload.length });
    this.queuedBytes += addBytes;
    this.queuedItems++;
    this.scheduleFlush();
    return true;
  }

  /**
   * Ends the connection. `graceful` lets written frames (a refusal) reach the
   * peer before the socket goes; otherwise it is destroyed at once.
   */
  close(reason: string, graceful = false): void {
    if (this.state === "closed") return;
    this.state = "closed";
    clearTimeout(this.handshakeTimer);
    this.raftMessagesDiscarded = this.queuedRaftMessages;
    this.clearQueue();
    if (graceful) {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), this.limits.busHandshakeTimeoutMs).unref();
    } else {
      this.socket.destroy();
    }
    this.events.onClose(this, reason);
  }

  private fits(addBytes: number): boolean {
    return (
      this.queuedBytes + addBytes <= this.limits.busSendQueueBytesMax &&
      this.queuedItems + 1 <= this.limits.busSendQueueFramesMax
    );
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.state !== "ready" || this.queue.length === 0) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.state !== "ready" || this.queue.length === 0 || this.socket.writableNeedDrain) return;
    const socket = this.socket;
    socket.cork();
    for (const frame of this.queue) {
      socket.write(frameHeader(frame.kind, frame.bytes));
      for (const part of frame.parts) socket.write(part);
      this.traffic.framesSent++;
    }
    socket.uncork();
    this.traffic.bytesSent += this.queuedBytes;
    this.traffic.socketWrites++;
    this.clearQueue();
  }

  private clearQueue(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.queuedItems = 0;
    this.queuedRaftMessages = 0;
  }

  /** Writes a handshake frame at once (the queue is not flushed before the handshake ends). */
  private writeNow(kind: FrameKind, payload: Buffer): void {
    this.socket.cork();
    this.socket.write(frameHeader(kind, payload.length));
    this.socket.write(payload);
    this.socket.uncork();
    this.traffic.framesSent++;
    this.traffic.bytesSent += FRAME_HEADER_BYTES + payload.length;
    this.traffic.socketWrites++;
  }

  private receive(chunk: Buffer): void {
    if (this.state === "closed") return;
    this.lastReceivedAtMs = Date.now();
    this.traffic.bytesReceived += chunk.length;
    try {
      this.decoder.push(chunk, (kind, payload) => {
        if (this.state === "closed") return;
        this.traffic.framesReceived++;
        if (this.state === "handshaking") this.handshakeFrame(kind, payload);
        else this.events.onFrame(this, kind, payload);
      });
    } catch (e) {
      // Bad bytes from the network close this connection; anything else is a bug of ours.
      if (!(e instanceof TesseraError)) throw e;
      const message = e.message;
      this.logger.warn(
        { remoteAddress: this.remoteAddress, peer: this.remoteNodeId, code: e.code, err: message },
        "bus connection closed: protocol error",
      );
      this.close(`protocol error: ${message}`);
    }
  }

  private handshakeFrame(kind: FrameKind, payload: Buffer): void {
    const expected = this.role === "accept" ? FrameKind.hello : FrameKind.helloAck;
    if (this.role === "dial" && kind === FrameKind.helloRefused) {
      this.refusal = decodeRefusal(payload).reason;
      this.logger.error(
        { remoteAddress: this.remoteAddress, peer: this.expectedNodeId, reason: this.refusal },
        "bus peer refused our handshake",
      );
      this.close(`refused by the peer: ${this.refusal}`);
      return;
    }
    if (kind !== expected) {
      throw new TesseraError(
        "PROTOCOL",
        `expected a ${frameKindName(expected)} frame first, got ${frameKindName(kind)}`,
      );
    }
    const remote = decodeHello(payload);
    const reason = this.events.checkHello(this, remote);
    if (reason !== undefined) {
      this.refusal = reason;
      this.logger.error(
        {
          remoteAddress: this.remoteAddress,
          peer: remote.nodeId,
          peerClusterId: remote.clusterId,
          peerProtocolVersion: remote.protocolVersion,
          reason,
        },
        "bus handshake refused",
      );
      if (this.role === "accept") {
        this.writeNow(FrameKind.helloRefused, encodeRefusal({ reason }));
      }
      this.close(`handshake refused: ${reason}`, this.role === "accept");
      return;
    }
    this.remote = remote;
    if (this.role === "accept")
      this.writeNow(FrameKind.helloAck, encodeHello(this.events.localHello()));
    clearTimeout(this.handshakeTimer);
    this.state = "ready";
    this.events.onReady(this);
    this.scheduleFlush();
  }
}
