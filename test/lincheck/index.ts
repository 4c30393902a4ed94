/**
 * Tessera's linearizability checker: what tests, the cluster simulator and the
 * chaos tests import. The search, the models and the parsers are pure; `check`
 * is the thin driver that reads the process clock for the time budget (pass
 * `clock` to count simulated time instead).
 *
 * References: J. M. Wing and C. Gong, "Testing and verifying concurrent
 * objects", JPDC 17(1-2), 1993. G. Lowe, "Testing for linearizability", CCPE
 * 29(4), 2017. A. Horn and D. Kroening, "Faster linearizability checking via
 * P-compositionality", FORTE 2015.
 */
import { type CheckOptions, type CheckResult, checkOperations } from "./check.js";
import type { Model, Operation } from "./model.js";

export {
  CACHE_ENTRIES_MAX_DEFAULT,
  type CheckOptions,
  type CheckResult,
  checkOperations,
  SHRINK_STEPS_MAX_DEFAULT,
  type ShrinkLimits,
  shrinkViolation,
  type Violation,
} from "./check.js";
export { HistoryRecorder } from "./history-recorder.js";
export {
  hashString,
  ILLEGAL,
  type Illegal,
  type Model,
  type Operation,
  type Partitions,
  partitionBy,
  UNKNOWN,
  type Unknown,
} from "./model.js";
export { type KvInput, type KvOutput, type KvState, kvModel } from "./models/kv.js";
export { type KvAppendInput, type KvAppendOutput, kvAppendModel } from "./models/kv-append.js";
export {
  type RegisterInput,
  type RegisterOutput,
  type RegisterState,
  registerModel,
} from "./models/register.js";
export { parseEdnKvHistory } from "./parse/edn-kv.js";
export { parseJepsenLog } from "./parse/jepsen-log.js";
export { formatOperation, formatResult, formatViolation } from "./report.js";
export { type SearchLimits, type SearchResult, searchLinearization } from "./search.js";

/** Checks a history against a model, timing the budget on the process clock unless told otherwise. */
export function check<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  return checkOperations(model, history, {
    ...options,
    clock: options.clock ?? (() => performance.now()),
  });
}
