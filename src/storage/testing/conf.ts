/** Configurations the storage tests create ranges with. */
import { nodeId } from "../../lib/index.js";
import type { ConfState } from "../../raft/types.js";

/** Node 1 as the one voter. */
export const ONE_VOTER: ConfState = {
  voters: [nodeId(1)],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
};
