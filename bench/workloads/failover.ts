/**
 * Workload 4, failover: on a healthy 3-node system, SIGKILL the node leading
 * writes for a probe key and measure the time until a write of that key
 * succeeds again through a surviving node. Probes start every 20 ms,
 * round-robin over the survivors, each bounded by its own timeout; the
 * figure is the time from the kill to the first acknowledged probe. The
 * killed node is then restarted on its data and the system allowed to become
 * healthy before the next trial. Only systems that offer failover hooks take
 * part (a 3-node Tessera cluster, etcd); the median of the trials is reported.
 */
import type { Comparison } from "../report/model.js";
import { sleep } from "../support/wait.js";
import type { FailoverHooks, System } from "../targets/index.js";
import type { RoundResult, Workload } from "./workload.js";

const probeKey = "failover-probe";
const probeEveryMs = 20;
const probeTimeoutMs = 2_000;
const recoveryTimeoutMs = 30_000;
const healthyTimeoutMs = 120_000;

/** Milliseconds from `killedAt` to the first successful probe write, or NaN after the limit. */
async function firstWriteAfter(
  hooks: FailoverHooks,
  survivors: readonly number[],
  killedAt: number,
): Promise<number> {
  return new Promise((resolve) => {
    let done = false;
    let launched = 0;
    const finish = (value: number) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      resolve(value);
    };
    const launch = () => {
      if (done) return;
      if (performance.now() - killedAt > recoveryTimeoutMs) {
        finish(Number.NaN);
        return;
      }
      const via = survivors[launched % survivors.length]!;
      launched++;
      void hooks.tryWrite(via, probeKey, probeTimeoutMs).then((ok) => {
        if (ok) finish(performance.now() - killedAt);
      });
    };
    const timer = setInterval(launch, probeEveryMs);
    launch();
  });
}

export const failover: Workload = {
  id: "failover",
  title: "Failover (SIGKILL of the leader)",
  measures:
    "Time from SIGKILL of the node leading writes to the first acknowledged write through a survivor, " +
    "on a 3-node Tessera cluster and a 3-member etcd cluster (median of the trials).",
  metrics: [
    { key: "failoverMs", label: "kill → first write", unit: "ms", better: "lower", digits: 0 },
  ],
  chart: ["failoverMs"],
  comparisons: (): Comparison[] => [
    { case: "leader SIGKILL", tessera: "tessera-3", peers: ["etcd"], likeForLike: "etcd" },
  ],
  rounds: (options) => options.failoverTrials,
  params: (options) => ({
    trials: options.failoverTrials,
    probeEveryMs,
    probeTimeoutMs,
    recoveryTimeoutMs,
    signal: "SIGKILL",
  }),
  async round(ctx, system: System): Promise<RoundResult> {
    const hooks = system.failover;
    if (hooks === undefined) throw new Error(`${system.target} cannot fail over`);
    ctx.checkCancelled();
    await hooks.waitHealthy(healthyTimeoutMs);
    if (!(await hooks.tryWrite(0, probeKey, 10_000)))
      throw new Error("probe write fails before the kill");
    const leader = await hooks.leaderIndex(probeKey);
    const survivors = system.nodes.map((_, i) => i).filter((i) => i !== leader);
    const node = system.nodes[leader]!;
    await sleep(200);
    const killedAt = performance.now();
    const killed = node.kill("SIGKILL");
    const failoverMs = await firstWriteAfter(hooks, survivors, killedAt);
    await killed;
    await node.start();
    await hooks.waitHealthy(healthyTimeoutMs);
    if (Number.isNaN(failoverMs))
      throw new Error(`no write succeeded within ${recoveryTimeoutMs} ms of the kill`);
    return { "leader SIGKILL": { values: { failoverMs }, detail: { killed: node.name } } };
  },
};
