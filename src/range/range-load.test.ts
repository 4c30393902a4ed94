/**
 * A range's size is measured from the store once per applied state: the
 * planner asks for every range every second, and an idle range must cost
 * nothing, while a range that applied anything is measured afresh.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rangeId } from "../lib/index.js";
import { RangeSizes } from "./range-load.js";
import type { Replica } from "./replica.js";

function fakeReplica() {
  const state = { scans: 0, appliedIndex: 10, generation: 1 };
  const view = {
    get: () => undefined,
    scan() {
      state.scans++;
      return [];
    },
  };
  const replica = {
    rangeId: rangeId(5),
    view,
    get appliedIndex() {
      return state.appliedIndex;
    },
    get descriptor() {
      return {
        rangeId: rangeId(5),
        generation: state.generation,
        start: new Uint8Array([1]),
        end: new Uint8Array([2]),
        replicas: [],
      };
    },
  };
  return { state, replica: replica as unknown as Replica };
}

describe("RangeSizes", () => {
  it("reads the store again only once the range applied something or changed shape", () => {
    const sizes = new RangeSizes();
    const { state, replica } = fakeReplica();
    sizes.of(replica);
    const once = state.scans;
    assert.ok(once > 0);
    sizes.of(replica);
    sizes.of(replica);
    assert.equal(state.scans, once, "an idle range is not measured again");
    state.appliedIndex++;
    sizes.of(replica);
    assert.equal(state.scans, 2 * once, "a write is");
    state.generation++;
    sizes.of(replica);
    assert.equal(state.scans, 3 * once, "so is a split or merge");
    sizes.forget(replica.rangeId);
    assert.equal(sizes.size, 0);
  });
});
