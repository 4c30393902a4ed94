/**
 * Every workload, in report order.
 */
import type { WorkloadId } from "../options.js";
import { failover } from "./failover.js";
import { footprint } from "./footprint.js";
import { recovery } from "./recovery.js";
import { replicated } from "./replicated.js";
import { scaleIdle } from "./scale-idle.js";
import { scaleMove } from "./scale-move.js";
import { scaleRanges } from "./scale-ranges.js";
import { setGet } from "./set-get.js";
import type { Workload } from "./workload.js";
import { ycsb } from "./ycsb.js";

export const WORKLOADS: Record<WorkloadId, Workload> = {
  "set-get": setGet,
  ycsb,
  replicated,
  failover,
  recovery,
  footprint,
  "scale-ranges": scaleRanges,
  "scale-idle": scaleIdle,
  "scale-move": scaleMove,
};

export type { RoundResult, RunContext, Workload } from "./workload.js";
export { systemsOf } from "./workload.js";
