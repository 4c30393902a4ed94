/**
 * Reads counters from a Prometheus text endpoint (Tessera's /metrics), for
 * workloads that explain a figure by what the servers did per operation:
 * store transactions, scheduler rounds, Raft Readies and messages, bus frames.
 * Only unlabelled samples are kept (a labelled series is a breakdown).
 */

/** Unlabelled samples of the exposition at `url`, by metric name. */
export async function scrapeCounters(url: string, timeoutMs = 5_000): Promise<Map<string, number>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return parseCounters(await res.text());
}

export function parseCounters(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.length === 0 || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line);
    if (m === null) continue;
    const v = Number(m[2]);
    if (Number.isFinite(v)) out.set(m[1]!, v);
  }
  return out;
}

/** Sums of `names` over every scrape, as after − before; a missing name counts 0. */
export function counterDeltas(
  before: readonly Map<string, number>[],
  after: readonly Map<string, number>[],
  names: readonly string[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of names) {
    let d = 0;
    for (let i = 0; i < after.length; i++) {
      d += (after[i]!.get(name) ?? 0) - (before[i]?.get(name) ?? 0);
    }
    out[name] = d;
  }
  return out;
}
