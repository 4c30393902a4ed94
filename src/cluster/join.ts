/**
 * The joining side of `tessera start --join seed,…`: ask each seed in turn
 * (over the bus, by address, before this node has an id) to admit this node.
 * The seed forwards the request to the meta leader, which allocates the id
 * with a Raft-committed INCR and writes the node record. A refusal (a
 * duplicate address, say) ends the attempt at once; unreachable seeds are
 * retried until `joinTimeoutMs`, then the join fails with UNAVAILABLE naming
 * every seed and why it failed.
 *
 * `checkSeedCluster` is the restart case: a node with a data directory that is
 * given seeds checks that they belong to its cluster before it starts.
 */
import { isTesseraError, TesseraError, type Timers } from "../lib/index.js";
import type { Bus } from "../transport/index.js";
import {
  expectObject,
  expectString,
  type JoinReply,
  type JoinRequest,
  METHOD_HELLO,
  METHOD_JOIN,
  readJoinReply,
} from "./protocol.js";

export interface JoinBounds {
  readonly joinAttemptTimeoutMs: number;
  readonly joinTimeoutMs: number;
  /** Pause between rounds over the seeds. */
  readonly retryMs?: number;
}

const RETRY_MS_DEFAULT = 250;

export async function joinCluster(
  bus: Bus,
  seeds: readonly string[],
  request: JoinRequest,
  bounds: JoinBounds,
  timers: Timers,
  nowMs: () => number,
): Promise<JoinReply> {
  if (seeds.length === 0) throw new TesseraError("INVALID_ARGUMENT", "no join seeds given");
  const deadline = nowMs() + bounds.joinTimeoutMs;
  const failures = new Map<string, string>();
  for (;;) {
    for (const seed of seeds) {
      try {
        const reply = await bus.callAddress(seed, METHOD_JOIN, request, {
          timeoutMs: bounds.joinAttemptTimeoutMs,
        });
        return readJoinReply(reply);
      } catch (e) {
        if (isRefusal(e)) throw e;
        failures.set(seed, e instanceof Error ? e.message : String(e));
      }
    }
    if (nowMs() >= deadline) {
      const why = [...failures].map(([s, m]) => `${s} (${m})`).join("; ");
      throw new TesseraError("UNAVAILABLE", `could not reach any join seed: ${why}`);
    }
    await sleep(timers, bounds.retryMs ?? RETRY_MS_DEFAULT);
  }
}

/**
 * The cluster id of the first seed that answers, or undefined when none does
 * within the bounds (the whole cluster may be restarting).
 */
export async function seedClusterId(
  bus: Bus,
  seeds: readonly string[],
  timeoutMs: number,
): Promise<string | undefined> {
  for (const seed of seeds) {
    try {
      const reply = expectObject(
        await bus.callAddress(seed, METHOD_HELLO, {}, { timeoutMs }),
        "hello",
      );
      return expectString(reply, "clusterId", "hello");
    } catch {
      // try the next seed
    }
  }
  return undefined;
}

/** An answer that retrying cannot change. */
function isRefusal(e: unknown): boolean {
  return (
    isTesseraError(e, "INVALID_ARGUMENT") ||
    isTesseraError(e, "LIMIT_EXCEEDED") ||
    isTesseraError(e, "READONLY")
  );
}

function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => timers.after(ms, resolve));
}
