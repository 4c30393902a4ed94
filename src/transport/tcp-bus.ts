/**
 * `TcpBus`: the production bus (types.ts), frames over TCP on the bus port.
 *
 * Between two nodes A and B there are up to two connections: the one A dialed
 * carries A's Raft messages and calls to B (and B's results), the one B dialed
 * the reverse. Messages of one connection arrive in the order they were sent;
 * nothing is promised across a reconnection (Raft tolerates loss and
 * reordering). Every queue is bounded: a Raft message that does not fit is
 * dropped and counted, a call that does not fit fails with UNAVAILABLE.
 *
 * Identity: the hello of each connection carries the cluster id and node id
 * this node had when it was opened. A node without an id (joining) may only
 * call by address; its calls arrive with `ctx.from = 0` and its Raft frames,
 * which it cannot send, would be dropped.
 */
import { createServer, type Server, type Socket } from "node:net";
import { type NodeId, type RangeId, type Rng, SeededRng, TesseraError } from "../lib/index.js";
import type { Message } from "../raft/index.js";
import { formatAddress, parseAddress } from "./address.js";
import { Backoff } from "./backoff.js";
import { CallServer } from "./call-server.js";
import { CallTable } from "./calls.js";
import { type CallResult, decodeCall, decodeCallResult, encodeCall, type Hello } from "./codec.js";
import { Connection, type ConnectionEvents } from "./connection.js";
import { FaultInjector } from "./faults.js";
import { FrameKind } from "./frame.js";
import { BUS_PROTOCOL_VERSION, type BusLimits, checkBusLimits } from "./limits.js";
import type { BusLogger } from "./logger.js";
import { dialConnection, Peer } from "./peer.js";
import { decodeRaftGroups, encodeRaftGroup } from "./raft-codec.js";
import { type BusStats, newPeerTraffic, type PeerTraffic } from "./stats.js";
import type { Bus, CallHandler, CallOptions, RaftHandler } from "./types.js";

export interface TcpBusOptions {
  readonly host: string;
  /** 0 = an ephemeral port (see `TcpBus.port`). */
  readonly port: number;
  /** "" until the node belongs to a cluster. */
  readonly clusterId: string;
  /** 0 until the node has an id. */
  readonly nodeId: NodeId;
  /** The address peers reach this node at; defaults to host:port of the listener. */
  readonly advertiseAddress?: string;
  readonly limits: BusLimits;
  readonly logger: BusLogger;
  /** Randomness for backoff jitter and fault drops; a fixed seed by default. */
  readonly rng?: Rng;
  readonly faultsEnabled: boolean;
}

const NO_NODE = 0 as NodeId;
const SEED_DEFAULT = 0x7e55e4a;

export class TcpBus implements Bus {
  readonly faults: FaultInjector;
  private clusterId: string;
  private nodeId: NodeId;
  private readonly peers = new Map<NodeId, Peer>();
  private readonly addressPeers = new Map<string, Peer>();
  private readonly dialed = new Map<Connection, Peer>();
  private readonly connections = new Set<Connection>();
  private readonly traffic = new Map<string, PeerTraffic>();
  private readonly callServer: CallServer;
  private readonly unreachableHandlers: ((nodeId: NodeId) => void)[] = [];
  private raftHandler: RaftHandler | undefined;
  private readonly calls: CallTable;
  private readonly delayTimers = new Set<NodeJS.Timeout>();
  private readonly livenessTimer: NodeJS.Timeout;
  private readonly events: ConnectionEvents;
  private readonly rng: Rng;
  private closed = false;
  private closing: Promise<void> | undefined;
  private raftMessagesDropped = 0;
  private raftMessagesDroppedByFaults = 0;
  private reconnects = 0;
  private connectFailures = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly advertiseAddress: string,
    private readonly options: TcpBusOptions,
  ) {
    this.clusterId = options.clusterId;
    this.nodeId = options.nodeId;
    this.rng = options.rng ?? new SeededRng(SEED_DEFAULT);
    this.faults = new FaultInjector(options.faultsEnabled, this.rng);
    this.calls = new CallTable(options.limits.busCallsPendingMax);
    this.callServer = new CallServer(
      options.limits.busFrameBytesMax,
      options.limits.busCallsServingMax,
      options.logger,
      (conn, payload) => this.sendResult(conn, payload),
    );
    this.events = {
      localHello: () => this.localHello(),
      checkHello: (conn, remote) => this.checkHello(conn, remote),
      onReady: (conn) => this.connectionReady(conn),
      onFrame: (conn, kind, payload) => this.receiveFrame(conn, kind, payload),
      onClose: (conn, reason) => this.connectionClosed(conn, reason),
    };
    server.on("connection", (socket) => this.accept(socket));
    const periodMs = Math.max(10, Math.floor(options.limits.busPingIdleMs / 2));
    this.livenessTimer = setInterval(() => this.checkLiveness(), periodMs);
    this.livenessTimer.unref();
  }

  /** Binds the bus port and starts accepting connections. */
  static async listen(options: TcpBusOptions): Promise<TcpBus> {
    checkBusLimits(options.limits);
    if (options.advertiseAddress !== undefined) parseAddress(options.advertiseAddress);
    const server = createServer({ noDelay: true, keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === "string") {
      server.close();
      throw new TesseraError("INTERNAL", "bus listener has no TCP address");
    }
    const advertise =
      options.advertiseAddress ?? formatAddress(advertisableHost(options.host), address.port);
    const bus = new TcpBus(server, address.port, advertise, options);
    options.logger.info(
      { busPort: address.port, advertiseAddress: advertise, nodeId: options.nodeId },
      "bus listening",
    );
    return bus;
  }

  get localNodeId(): NodeId {
    return this.nodeId;
  }

  setIdentity(clusterId: string, nodeId: NodeId): void {
    this.clusterId = clusterId;
    this.nodeId = nodeId;
  }

  setPeer(nodeId: NodeId, address: string): void {
    parseAddress(address);
    const peer = this.peers.get(nodeId);
    if (peer !== undefined) {
      peer.setAddress(address);
      return;
    }
    const backoff = this.newBackoff();
    this.peers.set(nodeId, new Peer(nodeId, address, this.trafficOf(String(nodeId)), backoff));
  }

  removePeer(nodeId: NodeId): void {
    const peer = this.peers.get(nodeId);
    if (peer === undefined) return;
    this.peers.delete(nodeId);
    peer.current?.close(`node ${nodeId} removed`);
  }

  onRaft(handler: RaftHandler): void {
    this.raftHandler = handler;
  }

  onUnreachable(handler: (nodeId: NodeId) => void): void {
    this.unreachableHandlers.push(handler);
  }

  handle(method: string, handler: CallHandler): void {
    this.callServer.handle(method, handler);
  }

  sendRaft(to: NodeId, rangeId: RangeId, messages: readonly Message[]): void {
    if (this.closed || messages.length === 0) return;
    const peer = this.peers.get(to);
    if (peer === undefined || this.nodeId === NO_NODE) {
      this.raftMessagesDropped += messages.length;
      return;
    }
    if (!this.faults.active) {
      this.queueRaft(peer, rangeId, messages);
      return;
    }
    this.throughFaults(
      to,
      () => this.queueRaft(peer, rangeId, messages),
      () => {
        this.raftMessagesDroppedByFaults += messages.length;
      },
    );
  }

  call(to: NodeId, method: string, request: unknown, opts: CallOptions): Promise<unknown> {
    if (this.nodeId === NO_NODE) {
      return Promise.reject(
        new TesseraError(
          "UNAVAILABLE",
          "this node has no id yet; only calls by address are allowed",
        ),
      );
    }
    const peer = this.peers.get(to);
    if (peer === undefined) {
      return Promise.reject(new TesseraError("UNAVAILABLE", `no bus address known for node ${to}`));
    }
    return this.callPeer(peer, `node ${to}`, method, request, opts);
  }

  callAddress(
    address: string,
    method: string,
    request: unknown,
    opts: CallOptions,
  ): Promise<unknown> {
    try {
      parseAddress(address);
    } catch (e) {
      return Promise.reject(e);
    }
    let peer = this.addressPeers.get(address);
    if (peer === undefined) {
      peer = new Peer(NO_NODE, address, this.trafficOf(`addr:${address}`), this.newBackoff());
      this.addressPeers.set(address, peer);
    }
    return this.callPeer(peer, address, method, request, opts);
  }

  stats(): BusStats {
    return {
      peers: Object.fromEntries([...this.traffic].map(([k, t]) => [k, { ...t }])),
      raftMessagesDropped: this.raftMessagesDropped,
      raftMessagesDroppedByFaults: this.raftMessagesDroppedByFaults,
      reconnects: this.reconnects,
      connectFailures: this.connectFailures,
      callsInFlight: this.calls.size,
      callsServing: this.callServer.inFlight,
      connectionsOpen: this.connections.size,
    };
  }

  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closed = true;
    clearInterval(this.livenessTimer);
    for (const t of this.delayTimers) clearTimeout(t);
    this.delayTimers.clear();
    this.calls.failAll(new TesseraError("SHUTTING_DOWN", "the bus is closing"));
    for (const conn of [...this.connections]) conn.close("the bus is closing");
    this.closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    return this.closing;
  }

  // -------------------------------------------------------------------------
  // Sending

  private queueRaft(peer: Peer, rangeId: RangeId, messages: readonly Message[]): void {
    const conn = this.closed ? undefined : peer.connection(Date.now(), this.dialPeer);
    if (conn === undefined) {
      this.raftMessagesDropped += messages.length;
      return;
    }
    const group = encodeRaftGroup(rangeId, messages);
    if (!conn.enqueueRaft(group, messages.length)) {
      this.raftMessagesDropped += messages.length;
      if (group.length > this.options.limits.busFrameBytesMax) {
        this.options.logger.warn(
          { peer: peer.nodeId, rangeId, bytes: group.length },
          "raft messages larger than busFrameBytesMax dropped",
        );
      }
    }
  }

  private callPeer(
    peer: Peer,
    target: string,
    method: string,
    request: unknown,
    opts: CallOptions,
  ): Promise<unknown> {
    if (this.closed) return Promise.reject(new TesseraError("SHUTTING_DOWN", "the bus is closed"));
    const now = Date.now();
    const conn = peer.connection(now, (p) => this.dial(p));
    if (conn === undefined) {
      return Promise.reject(
        new TesseraError(
          "UNAVAILABLE",
          `${target} is unreachable; next attempt in ${peer.retryInMs(now)} ms`,
        ),
      );
    }
    let payload: Buffer;
    let call: { id: number; promise: Promise<unknown> };
    try {
      call = this.calls.start(method, target, conn, opts.timeoutMs);
      payload = encodeCall({ id: call.id, method, timeoutMs: opts.timeoutMs, request });
    } catch (e) {
      return Promise.reject(e);
    }
    if (payload.length > this.options.limits.busFrameBytesMax) {
      const limit = this.options.limits.busFrameBytesMax;
      this.calls.fail(
        call.id,
        new TesseraError(
          "LIMIT_EXCEEDED",
          `bus call of ${payload.length} bytes exceeds busFrameBytesMax (${limit})`,
        ),
      );
      return call.promise;
    }
    this.throughFaults(
      peer.nodeId,
      () => {
        if (!conn.enqueue(FrameKind.call, payload)) {
          this.calls.fail(
            call.id,
            new TesseraError(
              "UNAVAILABLE",
              `send queue to ${target} is full (or the connection closed)`,
            ),
          );
        }
      },
      () => {},
    );
    return call.promise;
  }

  /** Runs `pass` now, later (delay fault) or never (`dropped`, drop and partition faults). */
  private throughFaults(peer: NodeId, pass: () => void, dropped: () => void): void {
    if (!this.faults.active) {
      pass();
      return;
    }
    if (this.faults.shouldDrop(peer)) {
      dropped();
      return;
    }
    const ms = this.faults.delayMsFor(peer);
    if (ms === 0) {
      pass();
      return;
    }
    const timer = setTimeout(() => {
      this.delayTimers.delete(timer);
      if (!this.closed) pass();
    }, ms);
    this.delayTimers.add(timer);
  }

  private readonly dialPeer = (peer: Peer): Connection => this.dial(peer);

  private dial(peer: Peer): Connection {
    const conn = dialConnection(
      peer.address,
      peer.nodeId,
      this.options.limits,
      this.events,
      this.options.logger,
    );
    conn.traffic = peer.traffic;
    this.connections.add(conn);
    this.dialed.set(conn, peer);
    return conn;
  }

  // -------------------------------------------------------------------------
  // Connections

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const remote = formatAddress(socket.remoteAddress ?? "?", socket.remotePort ?? 0);
    const conn = new Connection(
      socket,
      "accept",
      this.options.limits,
      this.events,
      this.options.logger,
      remote,
      NO_NODE,
    );
    this.connections.add(conn);
    conn.startHandshake();
  }

  private localHello(): Hello {
    return {
      protocolVersion: BUS_PROTOCOL_VERSION,
      clusterId: this.clusterId,
      nodeId: this.nodeId,
      advertiseAddress: this.advertiseAddress,
    };
  }

  private checkHello(conn: Connection, remote: Hello): string | undefined {
    if (remote.protocolVersion !== BUS_PROTOCOL_VERSION) {
      return `protocol version mismatch: peer speaks ${remote.protocolVersion}, this node ${BUS_PROTOCOL_VERSION}`;
    }
    if (remote.clusterId !== "" && this.clusterId !== "" && remote.clusterId !== this.clusterId) {
      return `cluster id mismatch: peer is in cluster '${remote.clusterId}', this node in '${this.clusterId}'`;
    }
    if (remote.nodeId !== NO_NODE && remote.nodeId === this.nodeId) {
      return `peer claims this node's own id ${this.nodeId} (two nodes with one id, or a node dialing itself)`;
    }
    if (conn.expectedNodeId !== NO_NODE && remote.nodeId !== conn.expectedNodeId) {
      return `expected node ${conn.expectedNodeId} at ${conn.remoteAddress}, found node ${remote.nodeId}`;
    }
    return undefined;
  }

  private connectionReady(conn: Connection): void {
    const peer = this.dialed.get(conn);
    if (peer !== undefined) {
      if (peer.failing || peer.everReady) {
        this.reconnects++;
        this.options.logger.info(
          { peer: peer.nodeId, address: peer.address },
          "bus connection to peer (re)established",
        );
      }
      peer.connectionReady(conn);
      return;
    }
    // An accepted connection: its counters go to the peer it turned out to be.
    const remote = conn.remote as Hello;
    const key =
      remote.nodeId !== NO_NODE ? String(remote.nodeId) : `addr:${remote.advertiseAddress}`;
    const traffic = this.trafficOf(key);
    for (const k of Object.keys(traffic) as (keyof PeerTraffic)[]) traffic[k] += conn.traffic[k];
    conn.traffic = traffic;
  }

  private connectionClosed(conn: Connection, reason: string): void {
    this.connections.delete(conn);
    // A peer dispatches calls only after the handshake: none reached a peer never greeted.
    this.calls.failOwner(conn, reason, conn.remote === undefined);
    this.raftMessagesDropped += conn.raftMessagesDiscarded;
    const peer = this.dialed.get(conn);
    if (peer === undefined) return;
    this.dialed.delete(conn);
    const wasReady = conn.remote !== undefined;
    if (!wasReady) this.connectFailures++;
    if (this.closed || !peer.connectionClosed(conn, Date.now())) return;
    if (!peer.failing && conn.refusal === undefined) {
      this.options.logger.warn(
        { peer: peer.nodeId, address: peer.address, reason },
        wasReady ? "bus connection to peer lost" : "bus cannot reach peer",
      );
    }
    peer.failing = true;
    if (peer.nodeId !== NO_NODE && this.peers.get(peer.nodeId) === peer) {
      for (const h of this.unreachableHandlers) h(peer.nodeId);
    }
  }

  private checkLiveness(): void {
    const now = Date.now();
    const { busPingIdleMs, busDeadIdleMs } = this.options.limits;
    for (const conn of this.connections) {
      if (conn.state !== "ready") continue;
      const idleMs = now - conn.lastReceivedAtMs;
      if (idleMs >= busDeadIdleMs) {
        this.options.logger.warn(
          { peer: conn.remoteNodeId, address: conn.remoteAddress, idleMs },
          "bus connection closed: peer silent (half-open?)",
        );
        conn.close(`nothing received for ${idleMs} ms`);
      } else if (idleMs >= busPingIdleMs && now - conn.lastPingAtMs >= busPingIdleMs) {
        conn.lastPingAtMs = now;
        conn.enqueue(FrameKind.ping, Buffer.alloc(0));
      }
    }
  }

  // -------------------------------------------------------------------------
  // Receiving

  private receiveFrame(conn: Connection, kind: FrameKind, payload: Buffer): void {
    switch (kind) {
      case FrameKind.raft:
        this.receiveRaft(conn, payload);
        return;
      case FrameKind.call: {
        const call = decodeCall(payload);
        this.throughFaults(
          conn.remoteNodeId,
          () => this.callServer.serve(conn, call),
          () => {},
        );
        return;
      }
      case FrameKind.callResult: {
        const result = decodeCallResult(payload);
        this.throughFaults(
          conn.remoteNodeId,
          () => this.settleCall(conn, result),
          () => {},
        );
        return;
      }
      case FrameKind.ping:
        conn.enqueue(FrameKind.pong, Buffer.alloc(0));
        return;
      case FrameKind.pong:
        return;
      case FrameKind.hello:
      case FrameKind.helloAck:
      case FrameKind.helloRefused:
        throw new TesseraError("PROTOCOL", "handshake frame after the handshake");
    }
  }

  private receiveRaft(conn: Connection, payload: Buffer): void {
    const from = conn.remoteNodeId;
    const groups = decodeRaftGroups(payload);
    if (from === NO_NODE) {
      this.options.logger.warn(
        { address: conn.remoteAddress },
        "raft messages from a node without an id dropped",
      );
      return;
    }
    this.throughFaults(
      from,
      () => {
        for (const g of groups) this.raftHandler?.(from, g.rangeId, g.messages);
      },
      () => {
        for (const g of groups) this.raftMessagesDroppedByFaults += g.messages.length;
      },
    );
  }

  private settleCall(conn: Connection, result: CallResult): void {
    if (result.ok) {
      this.calls.succeed(result.id, result.value, conn);
    } else {
      const error = new TesseraError(result.code, result.message, result.details);
      this.calls.fail(result.id, error, conn);
    }
  }

  private sendResult(conn: Connection, payload: Buffer): void {
    this.throughFaults(
      conn.remoteNodeId,
      () => {
        if (!conn.enqueue(FrameKind.callResult, payload)) {
          this.options.logger.warn(
            { peer: conn.remoteNodeId, address: conn.remoteAddress },
            "bus call reply dropped: send queue full",
          );
        }
      },
      () => {},
    );
  }

  // -------------------------------------------------------------------------

  private trafficOf(key: string): PeerTraffic {
    let t = this.traffic.get(key);
    if (t === undefined) {
      t = newPeerTraffic();
      this.traffic.set(key, t);
    }
    return t;
  }

  private newBackoff(): Backoff {
    const { busReconnectBackoffMsMin, busReconnectBackoffMsMax } = this.options.limits;
    return new Backoff(busReconnectBackoffMsMin, busReconnectBackoffMsMax, this.rng);
  }
}

/** A wildcard listen address is not one a peer can dial; loopback is the honest default. */
function advertisableHost(host: string): string {
  return host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host;
}
