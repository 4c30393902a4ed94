/**
 * Determinism, enforced: every seed runs twice and the two trace hashes (a
 * hash of every event and note of the run) must agree. A difference means
 * something nondeterministic leaked into a simulated run — a bug of its own.
 */
import { runSeed, type SeedOptions, type SeedResult } from "./run-seed.js";

export async function runSeedTwice(o: SeedOptions): Promise<SeedResult> {
  const first = await runSeed(o);
  const { trace: _trace, ...quiet } = o;
  const second = await runSeed(quiet);
  if (first.traceHash !== second.traceHash || first.events !== second.events) {
    return {
      ...first,
      ok: false,
      failure:
        `nondeterminism: two runs of seed ${o.seed} differ (trace ${first.traceHash} vs ${second.traceHash}, ` +
        `${first.events} vs ${second.events} events)` +
        (first.failure ? `; first run: ${first.failure}` : ""),
    };
  }
  return first;
}
