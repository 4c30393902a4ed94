/**
 * `PeerLiveness`: the node-level heartbeats that let ranges sleep
 * (quiesce.ts). A quiesced range sends no heartbeats of its own, so a follower
 * of one would never notice its leader's node dying. Instead every node pings
 * each peer it shares a quiesced range with once per tick — one message per
 * peer whatever the number of ranges (coalesced heartbeats), and none at all
 * to a peer that got other Raft traffic from this node during the tick — and
 * any Raft traffic from a peer counts as hearing from it. A peer silent for
 * `silentAfterTicks` ticks (an election timeout) is presumed down: every
 * range here that sleeps as its follower is woken, and elects a new leader
 * the usual way (PreVote, then a vote). Silence is counted in ticks, as Raft
 * counts its timeouts, not read off a clock: a stalled event loop runs one
 * late tick, not many, before it reads the pings that queued meanwhile, so a
 * pause of the whole process does not look like the silence of its peers.
 *
 * A ping is a term-0 `MsgHeartbeatResp` addressed to the reserved range
 * `LIVENESS_RANGE_ID`: it needs no codec of its own, and a node that does not
 * know the reserved range drops it (a heartbeat response creates no replica).
 *
 * Bookkeeping is per quiesced range, so its cost follows what sleeps and
 * changes, not the number of ranges: `quiesced` / `unquiesced` as ranges go to
 * sleep and wake, `tick` once per tick (work per peer, plus the ranges it
 * wakes).
 */
import type { NodeId, RangeId } from "../lib/index.js";
import type { Message } from "../raft/index.js";

/** The range id no range has: node-level liveness pings travel on it. */
export const LIVENESS_RANGE_ID = 0 as RangeId;

export interface PeerLivenessOptions {
  readonly nodeId: NodeId;
  /** A peer not heard from for this many ticks is presumed down (an election timeout). */
  readonly silentAfterTicks: number;
}

interface Sleeper {
  /** Its leader, when this node follows (NONE, i.e. 0, when it leads). */
  readonly leader: NodeId;
  readonly peers: readonly NodeId[];
}

export class PeerLiveness {
  private ticks = 0;
  /** The tick in which each peer was last heard from. */
  private readonly heardAt = new Map<NodeId, number>();
  private readonly sleepers = new Map<RangeId, Sleeper>();
  /** How many sleeping ranges each peer is a member of (the peers to ping). */
  private readonly sharing = new Map<NodeId, number>();
  /** The sleeping ranges this node follows, by leader. */
  private readonly byLeader = new Map<NodeId, Set<RangeId>>();
  /** Peers that got Raft traffic from this node since the last tick. */
  private readonly sentTo = new Set<NodeId>();
  private pings = 0;

  constructor(private readonly options: PeerLivenessOptions) {}

  /** Pings sent since start. */
  get pingsTotal(): number {
    return this.pings;
  }

  /** Ranges asleep here. */
  get sleeping(): number {
    return this.sleepers.size;
  }

  /** Raft traffic (of any range, or a ping) arrived from `from`. */
  heardFrom(from: NodeId): void {
    this.heardAt.set(from, this.ticks);
  }

  /** Raft traffic went to `to`: no ping is needed this tick. */
  noteSent(to: NodeId): void {
    this.sentTo.add(to);
  }

  /**
   * Range `rangeId` went to sleep; `leader` is its leader when this node
   * follows (0 when it leads), `peers` its other members.
   */
  quiesced(rangeId: RangeId, leader: NodeId, peers: readonly NodeId[]): void {
    this.unquiesced(rangeId);
    this.sleepers.set(rangeId, { leader, peers });
    for (const p of peers) this.sharing.set(p, (this.sharing.get(p) ?? 0) + 1);
    if (leader === 0 || leader === this.options.nodeId) return;
    let set = this.byLeader.get(leader);
    if (set === undefined) {
      set = new Set();
      this.byLeader.set(leader, set);
    }
    set.add(rangeId);
    // A follower sleeps on its leader's word (the quiesce heartbeat): it
    // has just heard from that node.
    this.heardAt.set(leader, this.ticks);
  }

  /** Range `rangeId` woke up or left this node (a no-op if it was not asleep). */
  unquiesced(rangeId: RangeId): void {
    const s = this.sleepers.get(rangeId);
    if (s === undefined) return;
    this.sleepers.delete(rangeId);
    for (const p of s.peers) {
      const n = (this.sharing.get(p) ?? 0) - 1;
      if (n <= 0) this.sharing.delete(p);
      else this.sharing.set(p, n);
    }
    const set = this.byLeader.get(s.leader);
    if (set === undefined) return;
    set.delete(rangeId);
    if (set.size === 0) this.byLeader.delete(s.leader);
  }

  /** The sleeping ranges this node follows whose leader is `leader`. */
  followersOf(leader: NodeId): RangeId[] {
    return [...(this.byLeader.get(leader) ?? [])];
  }

  /**
   * Once per tick: returns the pings to send (one per peer sharing a sleeping
   * range that got no other traffic) and the sleeping ranges whose leader's
   * node has been silent for `silentAfterTicks` ticks, to be woken.
   */
  tick(): { pings: Message[]; wake: RangeId[] } {
    this.ticks++;
    const self = this.options.nodeId;
    const pings: Message[] = [];
    for (const peer of this.sharing.keys()) {
      if (this.sentTo.has(peer)) continue;
      pings.push({ type: "MsgHeartbeatResp", from: self, to: peer, term: 0 as Message["term"] });
    }
    this.sentTo.clear();
    this.pings += pings.length;
    const wake: RangeId[] = [];
    for (const [leader, ranges] of this.byLeader) {
      const heard = this.heardAt.get(leader) ?? Number.NEGATIVE_INFINITY;
      if (this.ticks - heard >= this.options.silentAfterTicks) wake.push(...ranges);
    }
    return { pings, wake };
  }
}
