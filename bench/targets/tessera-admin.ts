/**
 * Tessera's range administration as the scale workloads use it, over RESP:
 * `TESSERA RANGE LIST` parsed into rows, keyspace 0 split at slot boundaries
 * (`TESSERA RANGE SPLIT`, one slot per command on one connection, a refused
 * split retried while the node's range table catches up with the previous
 * one, within a time budget), the node id of a process (`TESSERA NODE LIST`
 * matched on its RESP port), and `TESSERA NODE DECOMMISSION`.
 */
import { SLOT_COUNT } from "../loadgen/key-slot.js";
import { RespError, type RespValue } from "../loadgen/resp.js";
import { RespClient, respOnce } from "../loadgen/resp-client.js";
import { sleep } from "../support/wait.js";

/**
 * Bound of one admin call. Generous: a node that is sending a large snapshot
 * (scale-move) can take seconds to answer.
 */
const adminCallTimeoutMs = 60_000;

export interface RangeRow {
  readonly id: number;
  /** Inclusive slots of keyspace 0; null for internal ranges. */
  readonly slots: { readonly first: number; readonly last: number } | null;
  readonly leader: number;
  readonly voters: readonly number[];
  readonly learners: readonly number[];
}

function text(value: RespValue | undefined): string {
  return Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
}

function fields(entry: RespValue): Map<string, string> {
  const out = new Map<string, string>();
  if (Array.isArray(entry))
    for (let i = 0; i + 1 < entry.length; i += 2) out.set(text(entry[i]), text(entry[i + 1]));
  return out;
}

const idList = (s: string | undefined) =>
  s === undefined || s === "" ? [] : s.split(",").map(Number);

export function parseRangeList(reply: RespValue): RangeRow[] {
  if (reply instanceof RespError) throw new Error(`TESSERA RANGE LIST: ${reply.message}`);
  if (!Array.isArray(reply)) throw new Error(`TESSERA RANGE LIST: unexpected ${text(reply)}`);
  return reply.map((entry) => {
    const f = fields(entry);
    const m = /^(\d+)-(\d+)$/.exec(f.get("slots") ?? "-");
    return {
      id: Number(f.get("id")),
      slots: m === null ? null : { first: Number(m[1]), last: Number(m[2]) },
      leader: Number(f.get("leader") ?? 0),
      voters: idList(f.get("voters")),
      learners: idList(f.get("learners")),
    };
  });
}

export async function rangeList(host: string, port: number): Promise<RangeRow[]> {
  return parseRangeList(
    await respOnce(host, port, ["TESSERA", "RANGE", "LIST"], adminCallTimeoutMs),
  );
}

/** The `count - 1` slots that cut keyspace 0 into `count` ranges of (nearly) equal width. */
export function evenSplitSlots(count: number): number[] {
  const out: number[] = [];
  for (let i = 1; i < count; i++) out.push(Math.round((i * SLOT_COUNT) / count));
  return out;
}

export interface SplitOutcome {
  /** Slots split (or found already split), in the order given. */
  readonly done: number;
  readonly refusals: number;
  readonly ms: number;
  /** The budget ran out before every slot was split. */
  readonly outOfBudget: boolean;
}

/**
 * Splits keyspace 0 at each of `slots` through host:port, one command per
 * slot; stops early once `budgetMs` is spent. `onProgress` is called every
 * 500 splits.
 */
export async function splitSlots(
  host: string,
  port: number,
  slots: readonly number[],
  budgetMs: number,
  onProgress?: (done: number, ms: number) => void,
): Promise<SplitOutcome> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  let client = await RespClient.connect(host, port, 5_000);
  let refusals = 0;
  let done = 0;
  try {
    for (const slot of slots) {
      for (let attempt = 0; ; attempt++) {
        if (elapsed() > budgetMs) return { done, refusals, ms: elapsed(), outOfBudget: true };
        let reply: RespValue;
        try {
          reply = await client.command(["TESSERA", "RANGE", "SPLIT", String(slot)], 60_000);
        } catch {
          client.close();
          client = await RespClient.connect(host, port, 5_000);
          continue;
        }
        if (!(reply instanceof RespError)) break;
        // Refused: done already (the table shows the boundary), or retried shortly.
        const rows = parseRangeList(await client.command(["TESSERA", "RANGE", "LIST"], 60_000));
        if (rows.some((r) => r.slots?.first === slot)) break;
        refusals++;
        if (attempt >= 100) throw new Error(`split at slot ${slot}: ${reply.message}`);
        await sleep(20 * Math.min(attempt + 1, 10));
      }
      done++;
      if (done % 500 === 0) onProgress?.(done, elapsed());
    }
  } finally {
    client.close();
  }
  return { done, refusals, ms: elapsed(), outOfBudget: false };
}

/** The Tessera node id of the node whose RESP port is `port`, asked of host:port. */
export async function nodeIdOf(host: string, port: number): Promise<number> {
  const reply = await respOnce(host, port, ["TESSERA", "NODE", "LIST"], adminCallTimeoutMs);
  if (!Array.isArray(reply)) throw new Error(`TESSERA NODE LIST: unexpected ${text(reply)}`);
  for (const entry of reply) {
    const f = fields(entry);
    if (f.get("state") !== "removed" && f.get("resp")?.endsWith(`:${port}`))
      return Number(f.get("id"));
  }
  throw new Error(`no node with RESP port ${port} in TESSERA NODE LIST`);
}

/**
 * `TESSERA NODE DECOMMISSION id` through host:port; resolves once the node is
 * removed. A refusal that says "retry" (CLUSTERDOWN, TRYAGAIN: the meta range
 * is electing a leader, say) is retried for up to a minute, as an operator would.
 */
export async function decommission(
  host: string,
  port: number,
  id: number,
  timeoutMs: number,
): Promise<{ refusals: string[] }> {
  const refusals: string[] = [];
  const deadline = performance.now() + 60_000;
  for (;;) {
    const reply = await respOnce(
      host,
      port,
      ["TESSERA", "NODE", "DECOMMISSION", String(id)],
      timeoutMs,
    );
    if (!(reply instanceof RespError)) return { refusals };
    if (!/^(CLUSTERDOWN|TRYAGAIN)/.test(reply.message) || performance.now() > deadline)
      throw new Error(`TESSERA NODE DECOMMISSION ${id}: ${reply.message}`);
    refusals.push(reply.message);
    await sleep(500);
  }
}
