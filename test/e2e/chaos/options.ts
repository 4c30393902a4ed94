/**
 * The chaos command line: `--duration <s>` (default 60), `--nodes 3|5`
 * (default 3), `--clients <n>` (default 10), `--seed <n>` (default: random,
 * printed so the schedule can be replayed), `--check-budget <s>` (default
 * 120), `--quiet` (no progress lines).
 */
export interface ChaosArgs {
  readonly durationS: number;
  readonly nodeCount: number;
  readonly clientCount: number;
  readonly seed: number;
  readonly checkBudgetS: number;
  readonly quiet: boolean;
}

const DURATION_S_MAX = 24 * 3600;
const CLIENTS_MAX = 200;
const NODES_MAX = 7;

export function parseChaosArgs(argv: readonly string[]): ChaosArgs {
  let durationS = 60;
  let nodeCount = 3;
  let clientCount = 10;
  let seed = Math.floor(Math.random() * 0x7fffffff);
  let checkBudgetS = 120;
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${flag} needs a whole number`);
      return v;
    };
    switch (flag) {
      case "--duration":
        durationS = value();
        break;
      case "--nodes":
        nodeCount = value();
        break;
      case "--clients":
        clientCount = value();
        break;
      case "--seed":
        seed = value();
        break;
      case "--check-budget":
        checkBudgetS = value();
        break;
      case "--quiet":
        quiet = true;
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  if (durationS < 10 || durationS > DURATION_S_MAX)
    throw new Error(`--duration is in 10..${DURATION_S_MAX} s`);
  if (nodeCount < 3 || nodeCount > NODES_MAX) throw new Error(`--nodes is in 3..${NODES_MAX}`);
  if (clientCount < 1 || clientCount > CLIENTS_MAX)
    throw new Error(`--clients is in 1..${CLIENTS_MAX}`);
  return { durationS, nodeCount, clientCount, seed, checkBudgetS, quiet };
}
