/**
 * A joint configuration (paper §6, joint consensus): the incoming and the
 * outgoing majority configurations. A decision needs a majority in both, so its
 * commit index is the minimum of the two and a vote is won only if won in both
 * and lost as soon as lost in either. Outside a joint change the outgoing
 * configuration is empty and therefore neutral.
 */
import { type LogIndex, logIndex, type NodeId } from "../../lib/index.js";
import { MajorityConfig } from "./majority-config.js";
import type { AckedIndexer, VoteResult } from "./vote-result.js";

export class JointConfig {
  constructor(
    readonly incoming: MajorityConfig = new MajorityConfig(),
    readonly outgoing: MajorityConfig = new MajorityConfig(),
  ) {}

  isJoint(): boolean {
    return this.outgoing.size > 0;
  }

  /** Every voter of either half, ascending. */
  ids(): NodeId[] {
    return [...new Set([...this.incoming.ids, ...this.outgoing.ids])].sort((a, b) => a - b);
  }

  has(id: NodeId): boolean {
    return this.incoming.has(id) || this.outgoing.has(id);
  }

  toString(): string {
    return this.isJoint() ? `${this.incoming}&&${this.outgoing}` : this.incoming.toString();
  }

  committedIndex(acked: AckedIndexer): LogIndex {
    return logIndex(
      Math.min(this.incoming.committedIndex(acked), this.outgoing.committedIndex(acked)),
    );
  }

  voteResult(votes: ReadonlyMap<NodeId, boolean>): VoteResult {
    const r1 = this.incoming.voteResult(votes);
    const r2 = this.outgoing.voteResult(votes);
    if (r1 === r2) return r1;
    if (r1 === "lost" || r2 === "lost") return "lost";
    return "pending";
  }
}
