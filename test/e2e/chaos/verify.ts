/**
 * The verdicts of a chaos run, taken after the cluster is healed:
 *
 * 1. Linearizability: the recorded history (with the final reads) checked
 *    against `kvModel`. If it is illegal, it is checked again with the
 *    server's refusals counted as unknown: passing then means a refused write
 *    did take effect (a refusal that lied), not a lost or reordered one.
 * 2. Lost writes: every acknowledged unique write is read back at `strong`;
 *    a missing or different value is a lost acknowledged write. A unique
 *    write of unknown outcome must read as its value or as nil.
 * 3. Counters: the final value of each counter is at least its acknowledged
 *    INCRs and at most those plus the INCRs of unknown outcome.
 */
import type { Redis } from "ioredis";
import {
  type CheckResult,
  check,
  formatResult,
  type KvInput,
  type KvOutput,
  kvModel,
} from "../../lincheck/index.js";
import { chaosClient, send, type Workload } from "./workload.js";

/** The client id of the final reads in the history. */
const FINAL_CLIENT_ID = 1_000_000;
const READ_BATCH_MAX = 200;
const FINAL_READ_ATTEMPTS_MAX = 20;

export interface LostWrites {
  readonly checked: number;
  readonly missing: readonly { key: string; expected: string; found: string | null }[];
  /** Unique writes of unknown outcome that read as neither their value nor nil. */
  readonly corrupt: readonly { key: string; expected: string; found: string | null }[];
}

export interface CounterBound {
  readonly key: string;
  readonly value: number;
  readonly acked: number;
  readonly unknown: number;
  readonly holds: boolean;
}

export interface LinearizabilityVerdict {
  readonly result: CheckResult<KvInput, KvOutput>;
  readonly text: string;
  readonly checkMs: number;
  readonly operations: number;
  /** When illegal: the outcome with refusals counted as unknown. */
  readonly lenientOutcome?: string;
}

/** Reads the counters and registers at `strong`, recording them in the history. */
export async function finalReads(
  w: Workload,
  port: number,
  keys: readonly string[],
): Promise<void> {
  await withRetries(port, async (c) => {
    for (const key of keys) {
      const input: KvInput = { cmd: "GET", key };
      const id = w.recorder.invoke(FINAL_CLIENT_ID, input);
      try {
        w.recorder.ok(id, await send(c, input));
      } catch (e) {
        w.recorder.fail(id);
        throw e;
      }
    }
  });
}

export async function findLostWrites(w: Workload, port: number): Promise<LostWrites> {
  const all = [
    ...[...w.uniqueAcked].map(([key, value]) => ({ key, value, acked: true })),
    ...[...w.uniqueUnknown].map(([key, value]) => ({ key, value, acked: false })),
  ];
  const missing: LostWrites["missing"][number][] = [];
  const corrupt: LostWrites["corrupt"][number][] = [];
  for (let i = 0; i < all.length; i += READ_BATCH_MAX) {
    const batch = all.slice(i, i + READ_BATCH_MAX);
    const found = await withRetries(port, (c) => Promise.all(batch.map((b) => c.get(b.key))));
    batch.forEach((b, j) => {
      const v = found[j] ?? null;
      if (b.acked && v !== b.value) missing.push({ key: b.key, expected: b.value, found: v });
      if (!b.acked && v !== null && v !== b.value)
        corrupt.push({ key: b.key, expected: b.value, found: v });
    });
  }
  return { checked: w.uniqueAcked.size, missing, corrupt };
}

export async function counterBounds(
  w: Workload,
  port: number,
  keys: readonly string[],
): Promise<CounterBound[]> {
  const values = await withRetries(port, (c) => Promise.all(keys.map((k) => c.get(k))));
  return keys.map((key, i) => {
    const value = Number(values[i] ?? 0);
    const acked = w.incrAcked.get(key) ?? 0;
    const unknown = w.incrUnknown.get(key) ?? 0;
    return { key, value, acked, unknown, holds: value >= acked && value <= acked + unknown };
  });
}

export function checkHistory(w: Workload, budgetMs: number): LinearizabilityVerdict {
  const history = w.recorder.history();
  const t0 = performance.now();
  const result = check(kvModel, history, { budgetMs });
  const checkMs = performance.now() - t0;
  const verdict = {
    result,
    text: formatResult(kvModel, result),
    checkMs,
    operations: history.length,
  };
  if (result.outcome !== "illegal" || w.refusedWrites.length === 0) return verdict;
  const lenient = check(kvModel, [...history, ...w.refusedWrites], { budgetMs });
  return { ...verdict, lenientOutcome: lenient.outcome };
}

/** Runs `fn` on a strong-consistency connection, retrying on a fresh one while the cluster settles. */
async function withRetries<T>(port: number, fn: (c: Redis) => Promise<T>): Promise<T> {
  let last: unknown;
  for (let i = 0; i < FINAL_READ_ATTEMPTS_MAX; i++) {
    const c = chaosClient(port, 10_000);
    try {
      await c.connect();
      await c.call("CLIENT", "CONSISTENCY", "strong");
      return await fn(c);
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      c.disconnect();
    }
  }
  throw new Error(`final reads kept failing: ${String(last)}`);
}
