/**
 * `npm run chaos -- --duration 60 [--nodes 3|5] [--clients 10] [--seed N]`:
 * one chaos run against real Tessera processes on loopback, with its summary
 * printed. Exits 0 when no violation was found, 1 on a violation, 2 when the
 * run itself could not be carried out (bad options, a node that would not
 * start or come back). Ctrl-C kills every node it started.
 */
import { stopAll } from "../../support/process.js";
import { parseChaosArgs } from "./options.js";
import { runChaos, violationsOf } from "./run-chaos.js";
import { formatSummary } from "./summary.js";

async function main(): Promise<number> {
  const args = parseChaosArgs(process.argv.slice(2));
  const t0 = performance.now();
  const log = args.quiet
    ? () => {}
    : (line: string) => console.error(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`);
  log(`seed ${args.seed}`);
  const report = await runChaos({
    durationMs: args.durationS * 1000,
    nodeCount: args.nodeCount,
    clientCount: args.clientCount,
    seed: args.seed,
    checkBudgetMs: args.checkBudgetS * 1000,
    log,
  });
  console.log(formatSummary(report));
  return violationsOf(report).length === 0 ? 0 : 1;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void stopAll().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(
      `chaos run could not be carried out: ${e instanceof Error ? e.stack : String(e)}`,
    );
    void stopAll().finally(() => process.exit(2));
  },
);
