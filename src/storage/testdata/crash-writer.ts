/**
 * The child of the store's kill -9 test: opens a store at argv[2] and commits
 * batches forever; after each commit resolves it prints the batch number, so
 * the parent knows which batches were acknowledged as durable.
 */
import { logIndex, nodeId, rangeId, term } from "../../lib/index.js";
import { LmdbStore } from "../index.js";

const store = await LmdbStore.open({ dataDir: process.argv[2]!, create: { clusterId: "c", nodeId: nodeId(1), nowMs: 0 } });
const conf = { voters: [nodeId(1)], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
store.bootstrapRange(rangeId(1), conf);
const log = store.logStorage(rangeId(1));
for (let n = log.lastIndex() + 1; ; n++) {
  const batch = store.newBatch();
  const index = logIndex(n);
  batch.append(log, [{ index, term: term(1), type: "normal", data: new TextEncoder().encode(`entry ${n}`) }]);
  batch.setHardState(log, { term: term(1), vote: nodeId(1), commit: index });
  batch.apply(log, (w) => {
    // Ten keys per batch, so a torn batch would show as a partial set.
    for (let k = 0; k < 10; k++) w.put(new TextEncoder().encode(`b${n}-k${k}`), new TextEncoder().encode(`v${n}`));
    return { index, term: term(1), confState: conf };
  });
  await store.commit(batch);
  process.stdout.write(`${n}\n`);
}
