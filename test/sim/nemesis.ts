/**
 * The nemesis: the schedule of faults of one seed. Each kind of fault (crash
 * and restart, partitions symmetric and asymmetric, clogged links, clock
 * jumps, process pauses, disk corruption) fires at exponential intervals with the seed's own
 * mean, and every fault undoes itself after a while; `healAll` ends them all
 * for the final convergence phase.
 */
import type { NodeId, SeededRng } from "../../src/lib/index.js";
import type { SimNetwork } from "./sim-network.js";
import type { SimNode } from "./sim-node.js";
import type { SwarmConfig } from "./swarm.js";
import type { World } from "./world.js";

export interface NemesisStats {
  crashes: number;
  powerLosses: number;
  partitions: number;
  clogs: number;
  clockJumps: number;
  corruptionsDetected: number;
  reconfigurations: number;
  splits: number;
  merges: number;
  pauses: number;
}

export class Nemesis {
  private active = true;
  readonly stats: NemesisStats = {
    crashes: 0,
    powerLosses: 0,
    partitions: 0,
    clogs: 0,
    clockJumps: 0,
    corruptionsDetected: 0,
    reconfigurations: 0,
    splits: 0,
    merges: 0,
    pauses: 0,
  };

  constructor(
    private readonly world: World,
    private readonly rng: SeededRng,
    private readonly network: SimNetwork,
    private readonly nodes: readonly SimNode[],
    private readonly swarm: SwarmConfig,
    /** Starts a node; false if its disk is corrupt (detected), which the nemesis then repairs. */
    private readonly restart: (node: SimNode) => void,
  ) {}

  start(): void {
    this.every(this.swarm.crashEveryMs, "crash", () => this.crash());
    this.every(this.swarm.partitionEveryMs, "partition", () => this.partition());
    this.every(this.swarm.clogEveryMs, "clog", () => this.clog());
    this.every(this.swarm.clockJumpEveryMs, "clock-jump", () => this.clockJump());
    this.every(this.swarm.reconfigureEveryMs, "reconfigure", () => this.reconfigure());
    this.every(this.swarm.splitEveryMs, "split", () => this.split());
    this.every(this.swarm.splitEveryMs * 1.5, "merge", () => this.merge());
    // Last: a seed without pauses draws what it drew before they existed.
    this.every(this.swarm.pauseEveryMs, "pause", () => this.pause());
  }

  /**
   * Stops a node (a leader half the time) for 0.2–4.2 s, as SIGSTOP does: it
   * runs nothing, while its clock, its peers and its clients go on. Long
   * enough, often, for the others to elect a new leader while a stopped one
   * still counts itself leader.
   */
  private pause(): void {
    const up = this.nodes.filter((n) => n.isUp);
    if (up.length === 0) return;
    const n =
      (this.rng.float() < 0.5 ? this.aLeader() : undefined) ??
      (up[this.rng.intn(up.length)] as SimNode);
    const ms = 200 + this.rng.intn(4000);
    this.stats.pauses++;
    this.world.stall(`n${n.id}`, this.world.nowMs + ms);
    this.world.note("nemesis", `pause n${n.id} for ${ms} ms`);
  }

  /** Merges some range into its left neighbour, through some node that is up. */
  private merge(): void {
    const up = this.nodes.filter((n) => n.runtime?.merge && n.runtime.ranges().length > 0);
    const via = up[this.rng.intn(Math.max(1, up.length))];
    const rt = via?.runtime;
    if (!rt?.merge) return;
    const pick = this.rng.intn(1000);
    this.stats.merges++;
    const tag = `merge #${pick} via n${via?.id}`;
    this.world.note("nemesis", tag);
    rt.merge(pick).then(
      (id) => this.world.note("nemesis", `done: ${tag}: range ${id} absorbed`),
      (e: unknown) =>
        this.world.note("nemesis", `failed: ${tag}: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  /** Splits the range holding a random slot at that slot, through some node that is up. */
  private split(): void {
    const up = this.nodes.filter((n) => n.runtime?.split && n.runtime.ranges().length > 0);
    const via = up[this.rng.intn(Math.max(1, up.length))];
    const rt = via?.runtime;
    if (!rt?.split) return;
    const slot = 1 + this.rng.intn(16383);
    this.stats.splits++;
    const tag = `split at slot ${slot} via n${via?.id}`;
    this.world.note("nemesis", tag);
    rt.split(slot).then(
      (id) => this.world.note("nemesis", `done: ${tag}: range ${id}`),
      (e: unknown) =>
        this.world.note("nemesis", `failed: ${tag}: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  /** Stops new faults, heals the network and restarts every node that is down. */
  healAll(): void {
    this.active = false;
    this.network.heal();
    this.network.faults.lossRate = 0;
    this.network.faults.duplicateRate = 0;
    for (const n of this.nodes) if (!n.isUp) this.restart(n);
    this.world.note("nemesis", "heal all");
  }

  private every(meanMs: number, label: string, fn: () => void): void {
    if (!Number.isFinite(meanMs)) return;
    const wait = -Math.log(1 - this.rng.float()) * meanMs;
    this.world.after(wait, "nemesis", label, () => {
      if (!this.active) return;
      fn();
      this.every(meanMs, label, fn);
    });
  }

  /** Some node that believes it leads some range, if any is up. */
  private aLeader(): SimNode | undefined {
    const leaders = this.nodes.filter((n) => n.runtime?.ranges().some((r) => r.isLeader));
    return leaders.length === 0 ? undefined : leaders[this.rng.intn(leaders.length)];
  }

  private crash(): void {
    const up = this.nodes.filter((n) => n.isUp);
    if (up.length === 0) return;
    if (this.swarm.powerLossShare > 0 && this.rng.float() < this.swarm.powerLossShare) {
      this.stats.powerLosses++;
      this.world.note("nemesis", `power loss: n${up.map((n) => n.id).join(", n")} down at once`);
      for (const n of up) this.crashOne(n);
      return;
    }
    // Leaders are the interesting victims: half the crashes aim at one.
    const n =
      (this.rng.float() < 0.5 ? this.aLeader() : undefined) ??
      (up[this.rng.intn(up.length)] as SimNode);
    this.crashOne(n);
  }

  /** Crashes `n` (its disk may lose an unsynced tail, or be corrupted) and restarts it later. */
  private crashOne(n: SimNode): void {
    this.stats.crashes++;
    // A stopped process can be killed: it is gone at once.
    this.world.unstall(`n${n.id}`);
    n.crash();
    if (this.swarm.corruptionEnabled && this.rng.float() < 0.3) {
      const what = n.disk.corruptOne();
      if (what) this.world.note("nemesis", `corrupt n${n.id} ${what}`);
    }
    this.world.after(50 + this.rng.intn(3000), "nemesis", `restart n${n.id}`, () => {
      if (!n.isUp) this.restart(n);
    });
  }

  private partition(): void {
    const ids = this.nodes.map((n) => n.id);
    const a: NodeId[] = [];
    const b: NodeId[] = [];
    const leader = this.rng.float() < 0.5 ? this.aLeader() : undefined;
    if (leader) {
      // Isolate a leader in a minority, so the majority elects another while it still believes it leads.
      a.push(leader.id);
      for (const id of ids)
        if (id !== leader.id)
          (a.length < (ids.length - 1) / 2 && this.rng.float() < 0.3 ? a : b).push(id);
    } else {
      for (const id of ids) (this.rng.float() < 0.5 ? a : b).push(id);
    }
    if (a.length === 0 || b.length === 0) return;
    this.stats.partitions++;
    if (this.rng.float() < 0.3) {
      // Asymmetric: a hears b, b does not hear a.
      for (const x of a) for (const y of b) this.network.cutLink(x, y);
      this.world.note("nemesis", `cut [${a}] -> [${b}]`);
    } else {
      this.network.partition(a, b);
      this.world.note("nemesis", `partition [${a}] | [${b}]`);
    }
    this.world.after(200 + this.rng.intn(4000), "nemesis", "heal partition", () =>
      this.network.heal(),
    );
  }

  /** Adds a spare node as a voter, or removes a voter (keeping the seed's minimum). */
  private reconfigure(): void {
    const up = this.nodes.filter((n) => n.runtime?.changeReplicas);
    const via = up[this.rng.intn(Math.max(1, up.length))];
    const rt = via?.runtime;
    if (!rt?.voters || !rt.changeReplicas) return;
    const known = rt.ranges().map((r) => r.range);
    const range =
      this.rng.float() < 0.8 && known.length > 0
        ? (known[this.rng.intn(known.length)] as number)
        : 1;
    const voters = rt.voters(range);
    if (voters.length === 0) return;
    const spares = this.nodes.map((n) => n.id).filter((id) => !voters.includes(id));
    const victim = voters[this.rng.intn(voters.length)] as NodeId;
    const spare = spares[this.rng.intn(Math.max(1, spares.length))];
    const change =
      spare !== undefined && (voters.length <= this.swarm.votersMin || this.rng.float() < 0.5)
        ? { type: "add-voter" as const, nodeId: spare }
        : voters.length > this.swarm.votersMin
          ? { type: "remove" as const, nodeId: victim }
          : undefined;
    if (!change) return;
    this.stats.reconfigurations++;
    const tag = `range ${range} ${change.type} n${change.nodeId} via n${via?.id}`;
    this.world.note("nemesis", tag);
    rt.changeReplicas(range, change).then(
      () => this.world.note("nemesis", `done: ${tag}`),
      (e: unknown) =>
        this.world.note("nemesis", `failed: ${tag}: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  private clog(): void {
    const ids = this.nodes.map((n) => n.id);
    const from = ids[this.rng.intn(ids.length)] as NodeId;
    const to = ids[this.rng.intn(ids.length)] as NodeId;
    if (from === to) return;
    this.stats.clogs++;
    this.network.clog(from, to, this.world.nowMs + 100 + this.rng.intn(1500));
  }

  private clockJump(): void {
    const n = this.nodes[this.rng.intn(this.nodes.length)] as SimNode;
    const ms = this.rng.intn(1000) - 500;
    this.stats.clockJumps++;
    n.clock.jump(ms);
    this.world.note("nemesis", `clock n${n.id} jumps ${ms} ms`);
  }
}
