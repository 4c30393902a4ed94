/**
 * The meta leader's memory of when it last heard from each node (pings).
 * Kept in memory only: a new meta leader starts counting from the moment it
 * became leader (`restart`), so no node is judged dead for the silence of the
 * leader change itself. Judgement is the pure `classifyLiveness`.
 */
import type { NodeId } from "../lib/index.js";
import { classifyLiveness, type Liveness, type LivenessBounds } from "./planner/index.js";

export class LivenessTracker {
  private readonly lastSeenMs = new Map<NodeId, number>();
  private sinceMs = 0;

  constructor(private readonly bounds: LivenessBounds) {}

  /** Forgets everything: called when this node becomes the meta leader. */
  restart(nowMs: number): void {
    this.lastSeenMs.clear();
    this.sinceMs = nowMs;
  }

  saw(id: NodeId, nowMs: number): void {
    this.lastSeenMs.set(id, nowMs);
  }

  silentMs(id: NodeId, nowMs: number): number {
    return Math.max(0, nowMs - (this.lastSeenMs.get(id) ?? this.sinceMs));
  }

  judge(id: NodeId, nowMs: number): Liveness {
    return classifyLiveness(this.silentMs(id, nowMs), this.bounds);
  }
}
