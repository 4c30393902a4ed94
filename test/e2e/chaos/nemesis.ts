/**
 * The nemesis: plays a schedule (schedule.ts) against a chaos cluster. Each
 * step starts at its planned time (or at once if the previous one ran late),
 * resolves "the leader" choices, applies its faults, and heals each one when
 * its hold ends: a killed node is restarted on its data and ports, a paused
 * one continued, a partition healed on both sides. A step is fully healed
 * before the next begins, so never more than a minority is faulted.
 *
 * Steps stop when the clients do: a schedule that fell behind (restarts take
 * seconds) is cut short, and the step under way is healed. Every action is
 * logged with its time since the start of the run.
 */
import type { ChaosCluster } from "./chaos-cluster.js";
import { describeFault, type Fault, type Step } from "./schedule.js";

export interface NemesisEvent {
  readonly atMs: number;
  readonly what: string;
}

export class Nemesis {
  readonly events: NemesisEvent[] = [];
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly startMs: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Plays no further step; the step under way is still healed. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  async run(schedule: readonly Step[]): Promise<void> {
    for (const step of schedule) {
      const waitMs = this.startMs + step.atMs - performance.now();
      if (this.stopped) return;
      if (waitMs > 0) await this.sleepUnlessStopped(waitMs);
      if (this.stopped) return;
      const nodes = await this.resolve(step.faults);
      await Promise.all(step.faults.map((f, i) => this.play(f, nodes[i]!)));
    }
  }

  private async play(f: Fault, nodes: readonly number[]): Promise<void> {
    const who = nodes.map((i) => `#${i}(id ${this.cluster.nodeIds[i]})`).join(",");
    this.note(`${f.kind} ${who} (planned: ${describeFault(f)})`);
    switch (f.kind) {
      case "kill":
        for (const i of nodes) this.cluster.kill(i);
        break;
      case "pause":
        for (const i of nodes) this.cluster.pause(i);
        break;
      case "partition":
        await this.cluster.partition(nodes);
        break;
    }
    await this.sleep(f.holdMs);
    switch (f.kind) {
      case "kill":
        for (const i of nodes) await this.cluster.restart(i);
        this.note(`restarted ${who}`);
        break;
      case "pause":
        for (const i of nodes) await this.cluster.resume(i);
        this.note(`resumed ${who}`);
        break;
      case "partition":
        await this.cluster.heal();
        this.note(`healed partition of ${who}`);
        break;
    }
  }

  /** Node indexes per fault: "leader" choices take the current leader when it is still free. */
  private async resolve(faults: readonly Fault[]): Promise<number[][]> {
    const wantsLeader = faults.some((f) => f.nodes.some((n) => n.leader));
    const leaderId = wantsLeader ? await this.cluster.leaderId() : undefined;
    const leaderIndex = this.cluster.nodeIds.indexOf(leaderId ?? -1);
    const planned = new Set(faults.flatMap((f) => f.nodes.map((n) => n.index)));
    const taken = new Set<number>();
    return faults.map((f) =>
      f.nodes.map((n) => {
        // The leader replaces the planned node only if no other choice of the step names it.
        const useLeader =
          n.leader && leaderIndex >= 0 && !taken.has(leaderIndex) && !planned.has(leaderIndex);
        const i = useLeader ? leaderIndex : n.index;
        taken.add(i);
        return i;
      }),
    );
  }

  private note(what: string): void {
    const atMs = Math.round(performance.now() - this.startMs);
    this.events.push({ atMs, what });
    this.log(`[nemesis +${(atMs / 1000).toFixed(1)}s] ${what}`);
  }

  private sleepUnlessStopped(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }
}
