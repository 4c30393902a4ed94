/**
 * `SimBus`: the `Bus` of one simulated node incarnation over the `SimNetwork`.
 * Raft messages and calls travel as packets, deep-copied at send (as the real
 * bus serializes them). A call to a node that is down is refused at once with
 * UNAVAILABLE (a refused connection: the request never ran); a call that gets
 * no reply by its deadline rejects with TIMEOUT (it may or may not have run).
 * Closing the bus (a crash) detaches it: nothing reaches the dead incarnation
 * and its pending calls never settle.
 *
 * Call ids count from 1 in each incarnation, so a call carries its caller's
 * incarnation and a reply reaches only that one: over TCP a reply travels on
 * the connection its call came by, which died with the process that made it.
 * (Without this, a reply delayed past its caller's restart answered the new
 * incarnation's call of the same id: seed 10270 saw a SET answered with a
 * DEL's reply.)
 */
import { type ErrorCode, type NodeId, type RangeId, TesseraError } from "../../src/lib/index.js";
import type { Message } from "../../src/raft/index.js";
import type {
  Bus,
  BusFaults,
  CallHandler,
  CallOptions,
  RaftHandler,
} from "../../src/transport/index.js";
import type { PacketHandler, SimNetwork } from "./sim-network.js";
import type { SimTimers } from "./sim-timers.js";

type Packet =
  | { kind: "raft"; rangeId: RangeId; messages: readonly Message[] }
  | { kind: "call"; callId: number; caller: number; method: string; request: unknown }
  | {
      kind: "reply";
      callId: number;
      /** The incarnation that made the call. */
      caller: number;
      ok: boolean;
      value: unknown;
      code?: string;
      message?: string;
      details?: Readonly<Record<string, unknown>>;
    };

interface PendingCall {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  cancelTimer(): void;
}

const UNREACHABLE_REPORT_MS = 100;

export class SimBus implements Bus {
  readonly advertiseAddress: string;
  private raftHandler: RaftHandler | undefined;
  private readonly unreachableHandlers: ((id: NodeId) => void)[] = [];
  private readonly handlers = new Map<string, CallHandler>();
  private readonly pending = new Map<number, PendingCall>();
  private readonly lastUnreachableMs = new Map<NodeId, number>();
  private nextCallId = 1;
  private closed = false;
  private readonly endpoint: PacketHandler;

  constructor(
    readonly localNodeId: NodeId,
    private readonly network: SimNetwork,
    private readonly timers: SimTimers,
    private readonly nowMs: () => number,
    /** This node's incarnation (its restarts so far): replies reach only the one that called. */
    private readonly incarnation: number,
  ) {
    this.advertiseAddress = `sim-n${localNodeId}:7000`;
    this.endpoint = (from, packet) => this.receive(from, packet as Packet);
    network.attach(localNodeId, this.endpoint);
  }

  setIdentity(_clusterId: string, _nodeId: NodeId): void {}
  setPeer(_nodeId: NodeId, _address: string): void {}
  removePeer(_nodeId: NodeId): void {}

  sendRaft(to: NodeId, rangeId: RangeId, messages: readonly Message[]): void {
    if (this.closed || messages.length === 0) return;
    if (!this.network.isUp(to)) {
      this.reportUnreachable(to);
      return;
    }
    const describe = `raft r${rangeId} ${messages.map((m) => m.type).join(",")}`;
    this.network.send(
      this.localNodeId,
      to,
      { kind: "raft", rangeId, messages: structuredClone(messages) },
      describe,
      true,
    );
  }

  onRaft(handler: RaftHandler): void {
    this.raftHandler = handler;
  }

  onUnreachable(handler: (nodeId: NodeId) => void): void {
    this.unreachableHandlers.push(handler);
  }

  call(to: NodeId, method: string, request: unknown, opts: CallOptions): Promise<unknown> {
    if (this.closed) return Promise.reject(new TesseraError("UNAVAILABLE", "bus closed"));
    if (!this.network.isUp(to)) {
      return Promise.reject(new TesseraError("UNAVAILABLE", `node ${to} refused the connection`));
    }
    const callId = this.nextCallId++;
    return new Promise((resolve, reject) => {
      const timer = this.timers.after(opts.timeoutMs, () => {
        if (!this.pending.delete(callId)) return;
        reject(new TesseraError("TIMEOUT", `call ${method} to node ${to} timed out`));
      });
      this.pending.set(callId, { resolve, reject, cancelTimer: () => timer.cancel() });
      const packet: Packet = {
        kind: "call",
        callId,
        caller: this.incarnation,
        method,
        request: structuredClone(request),
      };
      this.network.send(this.localNodeId, to, packet, `call ${method}#${callId}`);
    });
  }

  callAddress(
    address: string,
    method: string,
    request: unknown,
    opts: CallOptions,
  ): Promise<unknown> {
    const m = /^sim-n(\d+):/.exec(address);
    if (!m) return Promise.reject(new TesseraError("UNAVAILABLE", `unknown address ${address}`));
    return this.call(Number(m[1]) as NodeId, method, request, opts);
  }

  handle(method: string, handler: CallHandler): void {
    this.handlers.set(method, handler);
  }

  readonly faults: BusFaults = {
    delay: () => {},
    drop: () => {},
    partition: (peers) => this.network.partition([this.localNodeId], peers),
    heal: () => this.network.heal(),
    describe: () => this.network.describe(),
  };

  close(): Promise<void> {
    this.closed = true;
    this.network.detach(this.localNodeId, this.endpoint);
    this.pending.clear();
    return Promise.resolve();
  }

  private receive(from: NodeId, p: Packet): void {
    if (this.closed) return;
    try {
      this.dispatch(from, p);
    } catch (e) {
      this.timers.onError(e);
    }
  }

  private dispatch(from: NodeId, p: Packet): void {
    switch (p.kind) {
      case "raft":
        this.raftHandler?.(from, p.rangeId, p.messages);
        return;
      case "call":
        this.serve(from, p.callId, p.caller, p.method, p.request);
        return;
      case "reply": {
        if (p.caller !== this.incarnation) return; // to an earlier incarnation: its connection is gone
        const call = this.pending.get(p.callId);
        if (call === undefined) return; // a duplicate, or past its deadline
        this.pending.delete(p.callId);
        call.cancelTimer();
        if (p.ok) call.resolve(p.value);
        else {
          const code = (p.code ?? "INTERNAL") as ErrorCode;
          call.reject(new TesseraError(code, p.message ?? "", p.details));
        }
      }
    }
  }

  private serve(
    from: NodeId,
    callId: number,
    caller: number,
    method: string,
    request: unknown,
  ): void {
    const reply = (
      r: Omit<Extract<Packet, { kind: "reply" }>, "kind" | "callId" | "caller">,
    ): void => {
      if (this.closed) return;
      this.network.send(
        this.localNodeId,
        from,
        { kind: "reply", callId, caller, ...structuredClone(r) },
        `reply #${callId}`,
      );
    };
    const handler = this.handlers.get(method);
    if (handler === undefined) {
      reply({
        ok: false,
        value: null,
        code: "UNKNOWN_COMMAND",
        message: `no handler for ${method}`,
      });
      return;
    }
    handler(request, { from, fromAddress: `sim-n${from}:7000` }).then(
      (value) => reply({ ok: true, value }),
      (e: unknown) =>
        reply({
          ok: false,
          value: null,
          code: e instanceof TesseraError ? e.code : "INTERNAL",
          message: e instanceof Error ? e.message : String(e),
          ...(e instanceof TesseraError && e.details ? { details: e.details } : {}),
        }),
    );
  }

  private reportUnreachable(to: NodeId): void {
    const now = this.nowMs();
    if (now - (this.lastUnreachableMs.get(to) ?? -Infinity) < UNREACHABLE_REPORT_MS) return;
    this.lastUnreachableMs.set(to, now);
    this.timers.soon(() => {
      for (const h of this.unreachableHandlers) h(to);
    });
  }
}
