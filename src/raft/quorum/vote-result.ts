/**
 * The outcome of counting votes in a configuration (etcd-io/raft quorum.go),
 * and the view of acknowledged log indexes the commit computation reads.
 */
import type { LogIndex, NodeId } from "../../lib/index.js";

export type VoteResult = "pending" | "lost" | "won";

/** Looks up the highest log index a voter has acknowledged, if it has any. */
export type AckedIndexer = (id: NodeId) => LogIndex | undefined;

/** The commit index of a configuration with no voters: it never constrains a joint minimum. */
export const INDEX_UNBOUNDED = Number.MAX_SAFE_INTEGER as LogIndex;
