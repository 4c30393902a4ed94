/**
 * The calls this node is waiting on: each has an id unique on this bus, a
 * deadline and the connection it went out on. A call ends exactly once: with
 * the peer's result, with TIMEOUT at its deadline, with UNAVAILABLE when its
 * connection fails first, or with SHUTTING_DOWN when the bus closes. The
 * table is bounded (`busCallsPendingMax`); a call past the bound is refused
 * with LIMIT_EXCEEDED before anything is sent.
 */
import { TesseraError } from "../lib/index.js";

interface PendingCall {
  readonly method: string;
  readonly target: string;
  /** The connection the call was queued on; a failure of it fails the call. */
  readonly owner: object;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: TesseraError) => void;
  readonly timer: NodeJS.Timeout;
}

export class CallTable {
  private readonly pending = new Map<number, PendingCall>();
  private nextId = 1;

  constructor(private readonly pendingMax: number) {}

  get size(): number {
    return this.pending.size;
  }

  /** Registers a call; returns its id and the promise of its outcome. */
  start(
    method: string,
    target: string,
    owner: object,
    timeoutMs: number,
  ): { id: number; promise: Promise<unknown> } {
    if (this.pending.size >= this.pendingMax) {
      throw new TesseraError(
        "LIMIT_EXCEEDED",
        `too many bus calls pending (busCallsPendingMax = ${this.pendingMax})`,
      );
    }
    const id = this.nextId++;
    const promise = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(
          id,
          new TesseraError(
            "TIMEOUT",
            `bus call ${method} to ${target} timed out after ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { method, target, owner, resolve, reject, timer });
    });
    return { id, promise };
  }

  /**
   * Ends a call with its value; false if it had already ended (a late reply)
   * or, when `owner` is given, if it went out on another connection (a reply
   * must come back the way its call went).
   */
  succeed(id: number, value: unknown, owner?: object): boolean {
    const call = this.take(id, owner);
    call?.resolve(value);
    return call !== undefined;
  }

  fail(id: number, error: TesseraError, owner?: object): boolean {
    const call = this.take(id, owner);
    call?.reject(error);
    return call !== undefined;
  }

  /**
   * Fails every call that went out on `owner` (its connection broke).
   * `neverDelivered`: the connection never completed its handshake, so the
   * peer dispatched none of them — the failure says so (`refused`), and a
   * caller may retry even a call that is not idempotent.
   */
  failOwner(owner: object, why: string, neverDelivered = false): void {
    for (const [id, call] of this.pending) {
      if (call.owner === owner) {
        this.fail(
          id,
          new TesseraError(
            "UNAVAILABLE",
            `bus call ${call.method} to ${call.target} failed: ${why}`,
            neverDelivered ? { refused: true } : undefined,
          ),
        );
      }
    }
  }

  failAll(error: TesseraError): void {
    for (const id of [...this.pending.keys()]) this.fail(id, error);
  }

  private take(id: number, owner?: object): PendingCall | undefined {
    const call = this.pending.get(id);
    if (call === undefined || (owner !== undefined && call.owner !== owner)) return undefined;
    this.pending.delete(id);
    clearTimeout(call.timer);
    return call;
  }
}
