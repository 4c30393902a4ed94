/**
 * A memory store of node 1 with `descs` bootstrapped as ranges node 1 is the
 * only voter of, as a new cluster's first node starts them: for tests of one
 * StoreHost without a bus.
 */
import { logIndex, nodeId, rangeDescriptorKey, term } from "../../lib/index.js";
import { EMPTY_CONF_STATE } from "../../raft/index.js";
import { MemoryEngine, Store } from "../../storage/index.js";
import { encodeDescriptor, type RangeDescriptor } from "../descriptor.js";
import { BOOTSTRAP_INDEX, BOOTSTRAP_TERM } from "../store-host.js";

export function loneStore(descs: readonly RangeDescriptor[]): Store {
  const store = Store.openEngine(new MemoryEngine(), {
    create: { clusterId: "c", nodeId: nodeId(1), nowMs: 0 },
  });
  for (const d of descs) {
    store.bootstrapRange(
      d.rangeId,
      { ...EMPTY_CONF_STATE, voters: [nodeId(1)] },
      { index: logIndex(BOOTSTRAP_INDEX), term: term(BOOTSTRAP_TERM) },
      [{ key: rangeDescriptorKey(d.rangeId), value: encodeDescriptor(d) }],
    );
  }
  return store;
}
