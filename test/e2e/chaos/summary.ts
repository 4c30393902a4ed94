/**
 * A chaos run's report as one page of text: the run's parameters and how to
 * replay its nemesis schedule, the faults injected, how the requests ended,
 * and the three verdicts (linearizability, lost writes, counters), ending
 * with PASS or the list of violations.
 */
import { type ChaosReport, violationsOf } from "./run-chaos.js";
import type { Tally } from "./workload.js";

const EVENTS_SHOWN_MAX = 40;
const LOST_SHOWN_MAX = 10;

function tallyText(t: Tally): string {
  return `${t.ok + t.fail + t.info} ops: ${t.ok} ok, ${t.fail} fail, ${t.info} info`;
}

export function formatSummary(r: ChaosReport): string {
  const o = r.options;
  const lines: string[] = [];
  lines.push("=== Tessera chaos run ===");
  lines.push(
    `nodes ${o.nodeCount}, clients ${o.clientCount}, duration ${o.durationMs / 1000} s, seed ${o.seed}`,
  );
  lines.push(
    `replay the nemesis schedule: npm run chaos -- --duration ${o.durationMs / 1000} --nodes ${o.nodeCount} --clients ${o.clientCount} --seed ${o.seed}`,
  );
  lines.push("  (the schedule is the same for a seed; process and network timing are not)");
  lines.push("");
  const kinds = new Map<string, number>();
  for (const s of r.schedule)
    for (const f of s.faults) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
  lines.push(
    `nemesis: ${r.schedule.length} steps, ${[...kinds].map(([k, n]) => `${n} ${k}`).join(", ") || "no faults"}`,
  );
  for (const e of r.events.slice(0, EVENTS_SHOWN_MAX))
    lines.push(`  +${(e.atMs / 1000).toFixed(1)}s ${e.what}`);
  if (r.events.length > EVENTS_SHOWN_MAX)
    lines.push(`  … ${r.events.length - EVENTS_SHOWN_MAX} more`);
  if (r.notServing.length === 0) {
    lines.push(`heal: every node served again ${Math.round(r.healMs)} ms after the run`);
  } else {
    lines.push(
      `heal: AVAILABILITY — ${r.notServing.length} nodes did not serve ${Math.round(r.healMs)} ms after the heal:`,
    );
    for (const n of r.notServing) lines.push(`  node #${n.index} (id ${n.nodeId}): ${n.error}`);
    lines.push(r.clusterState);
  }
  lines.push("");
  lines.push(`requests: ${tallyText(r.tally)} (${r.connects} connections)`);
  for (const [cmd, t] of [...r.tallyByCmd].sort())
    lines.push(`  ${cmd.padEnd(11)} ${tallyText(t)}`);
  lines.push("");
  const lin = r.linearizability;
  lines.push(
    `linearizability: ${lin.result.outcome} — ${lin.operations} operations checked in ${Math.round(lin.checkMs)} ms`,
  );
  lines.push(...lin.text.split("\n").map((l) => `  ${l}`));
  if (lin.lenientOutcome !== undefined) {
    lines.push(
      `  with the server's refusals counted as unknown the history is ${lin.lenientOutcome}` +
        (lin.lenientOutcome === "ok"
          ? ": a refused (-CLUSTERDOWN/-TRYAGAIN) write took effect"
          : ""),
    );
  }
  if (lin.result.outcome === "illegal") {
    const clients = [...r.consistencyOf].map(([id, c]) => `${id}:${c}`).join(" ");
    lines.push(`  client read levels: ${clients}`);
  }
  const lw = r.lostWrites;
  lines.push(
    `lost acknowledged writes: ${lw.missing.length} of ${lw.checked} read back` +
      (lw.corrupt.length > 0 ? `; ${lw.corrupt.length} keys hold a foreign value` : ""),
  );
  for (const m of [...lw.missing, ...lw.corrupt].slice(0, LOST_SHOWN_MAX))
    lines.push(`  ${m.key}: wrote ${JSON.stringify(m.expected)}, read ${JSON.stringify(m.found)}`);
  const sum = (f: (c: ChaosReport["counters"][number]) => number) =>
    r.counters.reduce((n, c) => n + f(c), 0);
  const outside = r.counters.filter((c) => !c.holds);
  lines.push(
    `counters: ${r.counters.length} keys, ${outside.length === 0 ? "all within bounds" : `${outside.length} OUT OF BOUNDS`}` +
      ` (final values sum ${sum((c) => c.value)}, acked INCRs ${sum((c) => c.acked)}, unknown ${sum((c) => c.unknown)})`,
  );
  for (const c of outside.slice(0, LOST_SHOWN_MAX)) {
    lines.push(`  ${c.key}: ${c.value}, acked INCRs ${c.acked}, unknown ${c.unknown}`);
  }
  lines.push("");
  const violations = violationsOf(r);
  if (violations.length === 0) {
    if (r.notServing.length > 0)
      lines.push("(warning: some nodes did not serve after the heal; safety verdicts hold)");
    lines.push(
      lin.result.outcome === "unknown"
        ? "RESULT: no violation found (linearizability inconclusive: the checker's budget ran out)"
        : "RESULT: PASS",
    );
  } else {
    lines.push("RESULT: FAIL");
    for (const v of violations) lines.push(`  - ${v}`);
  }
  return lines.join("\n");
}
