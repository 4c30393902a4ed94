/**
 * `SimNetwork`: the links between simulated nodes. A packet sent from one
 * node to another is lost, duplicated, delayed (a lognormal-ish latency drawn
 * from the world's rng, so packets overtake each other) or held by a clogged
 * link until the clog clears (then the link flushes); a partition drops every
 * packet on the cut directed links (both directions for a symmetric one, one
 * for an asymmetric one). A packet to a node that is down at arrival is lost.
 * Fault settings change while a run goes on, driven by the nemesis.
 */
import type { NodeId } from "../../src/lib/index.js";
import type { World } from "./world.js";

export interface NetworkFaults {
  /** Probability that a packet is lost. */
  lossRate: number;
  /** Probability that a packet is delivered twice. */
  duplicateRate: number;
  /** Median one-way latency. */
  latencyMedianMs: number;
  /** Spread of the latency's logarithm (0: fixed latency). */
  latencySigma: number;
  latencyMaxMs: number;
}

export type PacketHandler = (from: NodeId, packet: unknown) => void;

const linkKey = (from: NodeId, to: NodeId): string => `${from}>${to}`;

export class SimNetwork {
  private readonly endpoints = new Map<NodeId, PacketHandler>();
  private readonly cut = new Set<string>();
  private readonly clogUntilMs = new Map<string, number>();
  packetsSent = 0;
  packetsLost = 0;

  constructor(
    private readonly world: World,
    readonly faults: NetworkFaults,
  ) {}

  /** Connects a node incarnation; a later `attach` of the same id replaces it. */
  attach(id: NodeId, handler: PacketHandler): void {
    this.endpoints.set(id, handler);
  }

  detach(id: NodeId, handler: PacketHandler): void {
    if (this.endpoints.get(id) === handler) this.endpoints.delete(id);
  }

  isUp(id: NodeId): boolean {
    return this.endpoints.has(id);
  }

  /**
   * Sends a packet; `describe` names it in the trace. Only packets that may be
   * duplicated (Raft messages) ever are: calls ride a connection (TCP), which
   * delivers a request at most once.
   */
  send(from: NodeId, to: NodeId, packet: unknown, describe: string, mayDuplicate = false): void {
    this.packetsSent++;
    const f = this.faults;
    const rng = this.world.rng;
    if (this.cut.has(linkKey(from, to)) || rng.float() < f.lossRate) {
      this.packetsLost++;
      return;
    }
    const copies = mayDuplicate && rng.float() < f.duplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const arrive = Math.max(
        this.world.nowMs + this.latencyMs(),
        this.clogUntilMs.get(linkKey(from, to)) ?? 0,
      );
      this.world.at(arrive, `n${to}`, `recv ${describe} from n${from}`, () => {
        // A partition made while the packet flew still cuts it.
        if (this.cut.has(linkKey(from, to))) return;
        this.endpoints.get(to)?.(from, packet);
      });
    }
  }

  /** Cuts the directed link from → to. */
  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(linkKey(from, to));
  }

  /** Cuts both directions between every node of `a` and every node of `b`. */
  partition(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.cutLink(x, y);
        this.cutLink(y, x);
      }
    }
  }

  /** Holds every packet on from → to until `untilMs`, then delivers them (a stalled link). */
  clog(from: NodeId, to: NodeId, untilMs: number): void {
    this.clogUntilMs.set(linkKey(from, to), untilMs);
  }

  heal(): void {
    this.cut.clear();
    this.clogUntilMs.clear();
  }

  describe(): string {
    return `cut [${[...this.cut].join(" ")}] clogged [${[...this.clogUntilMs.keys()].join(" ")}]`;
  }

  private latencyMs(): number {
    const f = this.faults;
    const rng = this.world.rng;
    // Box–Muller: a normal deviate from two uniform ones, then exp for a lognormal.
    const u = Math.max(rng.float(), 1e-9);
    const v = rng.float();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    const ms = f.latencyMedianMs * Math.exp(f.latencySigma * z);
    return Math.min(f.latencyMaxMs, Math.max(0.05, ms));
  }
}
