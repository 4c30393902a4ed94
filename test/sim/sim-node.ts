/**
 * `SimNode`: one simulated machine. Its disk (`SimDisk`) and clock outlive
 * its incarnations; everything in memory — the node's objects, its timers,
 * its bus endpoint, its engine handle — belongs to one incarnation and is
 * dropped by a crash (together with the disk's unsynced writes). A restart
 * builds a new incarnation from what the disk durably holds.
 */
import type { KvReply, ReadCommand, WriteCommand } from "../../src/kv/index.js";
import type { NodeId, SeededRng } from "../../src/lib/index.js";
import { SimBus } from "./sim-bus.js";
import type { SimClock } from "./sim-clock.js";
import type { SimDisk, SimEngine } from "./sim-disk.js";
import type { SimNetwork } from "./sim-network.js";
import { SimTimers } from "./sim-timers.js";
import type { World } from "./world.js";

/** What one incarnation offers the simulator. */
export interface NodeRuntime {
  write(cmd: WriteCommand): Promise<KvReply>;
  read(cmd: ReadCommand): Promise<KvReply>;
  /** Per range: applied index, commit index and a digest of the range's state. */
  ranges(): {
    range: number;
    applied: number;
    commit: number;
    digest: number;
    isLeader: boolean;
    /** Voters and learners, as this node knows them (the leader's view decides). */
    members: readonly NodeId[];
  }[];
  /** Host level: the ranges this node has a replica of that holds nothing yet. */
  uninitialized?(): readonly number[];
  /** Host level: the voters of `range` as this node knows them. */
  voters?(range: number): readonly NodeId[];
  /** Host level: a membership change through `host.changeReplicas`. */
  changeReplicas?(
    range: number,
    change: { type: "add-voter" | "remove"; nodeId: NodeId },
  ): Promise<void>;
  /** Host level: splits the range holding `slot` of keyspace 0 at that slot; resolves with the new range. */
  split?(slot: number): Promise<number>;
  /** Host level: merges some range of keyspace 0 into its left neighbour; resolves with the absorbed range. */
  merge?(pick: number): Promise<number>;
  /** Reports what the monitor checks after each step (host level; raft nodes report as they go). */
  observe?(): void;
  stop(): void;
}

export interface BootContext {
  readonly id: NodeId;
  readonly engine: SimEngine;
  readonly bus: SimBus;
  readonly timers: SimTimers;
  readonly clock: SimClock;
  readonly rng: SeededRng;
  /** Adds a line to the trace (and its hash). */
  readonly note: (text: string) => void;
  /** The runtime failed (an assertion, a storage error): a bug unless the simulator expects it. */
  readonly onFatal: (e: unknown) => void;
}

export type Boot = (ctx: BootContext) => NodeRuntime;

export class SimNode {
  private timers: SimTimers | undefined;
  private bus: SimBus | undefined;
  runtime: NodeRuntime | undefined;
  incarnation = 0;

  constructor(
    readonly id: NodeId,
    private readonly world: World,
    private readonly network: SimNetwork,
    readonly disk: SimDisk,
    readonly clock: SimClock,
    private readonly boot: Boot,
    private readonly onFatal: (id: NodeId, e: unknown) => void,
  ) {}

  get isUp(): boolean {
    return this.runtime !== undefined;
  }

  /** Boots a new incarnation from the disk; throws what the boot threw (e.g. CORRUPTION). */
  start(): void {
    this.incarnation++;
    const tag = `n${this.id}`;
    const timers = new SimTimers(this.world, tag);
    const incarnation = this.incarnation;
    const bus = new SimBus(this.id, this.network, timers, () => this.world.nowMs, incarnation);
    timers.onError = (e) => {
      if (this.incarnation === incarnation && this.runtime) this.onFatal(this.id, e);
    };
    try {
      this.runtime = this.boot({
        id: this.id,
        engine: this.disk.open(),
        bus,
        timers,
        clock: this.clock,
        rng: this.world.rng.fork(),
        note: (text) => this.world.note(tag, text),
        onFatal: (e) => {
          if (this.incarnation === incarnation && this.runtime) this.onFatal(this.id, e);
        },
      });
    } catch (e) {
      timers.dispose();
      void bus.close();
      throw e;
    }
    this.timers = timers;
    this.bus = bus;
    this.world.note(tag, `start #${this.incarnation}`);
  }

  /** Power loss: the incarnation vanishes mid-flight, the disk keeps only what was synced. */
  crash(): void {
    if (!this.runtime) return;
    this.runtime.stop();
    this.runtime = undefined;
    this.timers?.dispose();
    void this.bus?.close();
    this.disk.crash();
    this.world.note(`n${this.id}`, "crash");
  }
}
