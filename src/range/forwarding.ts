/**
 * Finding a range's leader and running a request there (DESIGN.md §5: "route
 * to the range's leader, forward over the bus if it is elsewhere").
 *
 * `Forwarder.run` tries the leader this node knows (itself: the local
 * replica; another node: a bus call), follows NOT_LEADER hints, and while no
 * leader is known waits, up to `leaderWaitMs`, then fails UNAVAILABLE.
 *
 * A request must never be applied twice by a retry. An attempt is retried only
 * when it certainly did not take effect: the leader refused it before
 * proposing (NOT_LEADER, PROPOSAL_DROPPED, UNAVAILABLE "no leader", all thrown
 * before `propose`), its entry was replaced by a newer leader's (the
 * PROPOSAL_DROPPED of `Replica.failSuperseded`: another entry committed at its
 * index), or the bus refused the call before sending it (the call was
 * rejected at once, see `callOrRefuse`). Any other failure of a write —
 * a broken connection after sending, a deadline — is surfaced as TIMEOUT: the
 * outcome is unknown. Reads are idempotent and retried on any such failure.
 */
import {
  type Clock,
  isTesseraError,
  type NodeId,
  type RangeId,
  TesseraError,
  type Timers,
} from "../lib/index.js";
import type { Bus } from "../transport/index.js";
import type { Replica } from "./replica.js";
import { sleep } from "./system-timers.js";

/** Pause between two attempts while the leader is unknown or moving. */
export const FORWARD_RETRY_MS = 20;
/** Most attempts of one request, whatever the time left. */
export const FORWARD_ATTEMPTS_MAX = 200;

const PENDING = Symbol("pending");

/** Calls `to`; a call the bus refused before sending rejects with `{ refused: true }` in details. */
export async function callOrRefuse(
  bus: Bus,
  to: NodeId,
  method: string,
  request: unknown,
  timeoutMs: number,
): Promise<unknown> {
  const p = bus.call(to, method, request, { timeoutMs });
  // A promise already rejected wins the race: the bus refused before sending.
  try {
    const first = await Promise.race([p, Promise.resolve(PENDING)]);
    if (first !== PENDING) return first;
  } catch (e) {
    if (isTesseraError(e, "UNAVAILABLE"))
      throw new TesseraError("UNAVAILABLE", e.message, { refused: true });
    throw e;
  }
  return p;
}

/**
 * A local replica fails UNAVAILABLE only before proposing (it has no leader);
 * tags such failures so a write may be retried. Also used by the bus handler
 * that serves forwarded requests.
 */
export async function markLocal<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (isTesseraError(e, "UNAVAILABLE") || isTesseraError(e, "NOT_LEADER"))
      throw new TesseraError(e.code, e.message, { ...e.details, beforePropose: true });
    throw e;
  }
}

export interface ForwarderDeps {
  readonly nodeId: NodeId;
  readonly bus: Bus | undefined;
  readonly timers: Timers;
  readonly clock: Clock;
  readonly leaderWaitMs: number;
  readonly replica: (rangeId: RangeId) => Replica | undefined;
  /** Other nodes to ask when this node has no replica of a range (its replicas, as known). */
  readonly peers: (rangeId: RangeId) => readonly NodeId[];
  /** The leader of a range this node holds no replica of, as last learned (range cache). */
  readonly leaderHint?: (rangeId: RangeId) => NodeId | undefined;
  /** Whether the range no longer exists (merged away): its requests must be routed again. */
  readonly gone?: (rangeId: RangeId) => boolean;
  /** Records a leader learned from an answer. */
  readonly noteLeader?: (rangeId: RangeId, leader: NodeId) => void;
}

export interface Attempt<T> {
  readonly local: (r: Replica) => Promise<T>;
  readonly remote: (bus: Bus, to: NodeId) => Promise<T>;
  /** Whether a failure after sending may be retried (reads) or is TIMEOUT (writes). */
  readonly idempotent: boolean;
}

export class Forwarder {
  constructor(private readonly d: ForwarderDeps) {}

  async run<T>(rangeId: RangeId, attempt: Attempt<T>): Promise<T> {
    const deadline = this.d.clock.monotonicMs() + this.d.leaderWaitMs;
    let hint: NodeId | undefined = this.d.replica(rangeId)?.isInitialized
      ? undefined
      : this.d.leaderHint?.(rangeId);
    let peerTurn = 0;
    for (let i = 0; i < FORWARD_ATTEMPTS_MAX; i++) {
      if (this.d.gone?.(rangeId))
        throw new TesseraError("RANGE_MISMATCH", `range ${rangeId} was merged away`);
      const r = this.d.replica(rangeId);
      const held = r?.isInitialized === true;
      let target: NodeId = hint ?? (held ? r.leaderId : (0 as NodeId));
      hint = undefined;
      if (target === 0 && !held) {
        const peers = this.d.peers(rangeId).filter((p) => p !== this.d.nodeId);
        if (peers.length > 0) target = peers[peerTurn++ % peers.length]!;
      }
      if (target !== 0) {
        try {
          if (target === this.d.nodeId && r) return await markLocal(attempt.local(r));
          if (target !== this.d.nodeId && this.d.bus) {
            const out = await attempt.remote(this.d.bus, target);
            this.d.noteLeader?.(rangeId, target);
            return out;
          }
        } catch (e) {
          if (!this.retriable(e, attempt.idempotent)) throw this.surface(e, attempt.idempotent);
          // A NOT_LEADER's hint, or the leader this node learned meanwhile (a
          // write dropped because a new leader replaced its entry): tried at
          // once, whatever the deadline, which bounds only the wait for one.
          const leader = isTesseraError(e, "NOT_LEADER")
            ? Number(e.details?.leader ?? 0)
            : held && r.isInitialized
              ? r.leaderId
              : 0;
          if (leader !== 0 && leader !== target) {
            hint = leader as NodeId;
            this.d.noteLeader?.(rangeId, hint);
            continue;
          }
        }
      }
      if (this.d.clock.monotonicMs() >= deadline) break;
      await sleep(this.d.timers, FORWARD_RETRY_MS);
    }
    throw new TesseraError(
      "UNAVAILABLE",
      `range ${rangeId} has no reachable leader (waited ${this.d.leaderWaitMs} ms)`,
    );
  }

  private retriable(e: unknown, idempotent: boolean): boolean {
    if (!isTesseraError(e)) return false;
    switch (e.code) {
      case "NOT_LEADER":
      case "PROPOSAL_DROPPED":
        return true;
      case "UNAVAILABLE":
        // The leader's "no leader" and the bus's refusal happen before any proposal.
        return idempotent || e.details?.refused === true || e.details?.beforePropose === true;
      case "TIMEOUT":
        return idempotent;
      default:
        return false;
    }
  }

  private surface(e: unknown, idempotent: boolean): unknown {
    if (!idempotent && isTesseraError(e, "UNAVAILABLE"))
      return new TesseraError("TIMEOUT", `write outcome unknown: ${e.message}`);
    return e;
  }
}
