import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { counterDeltas, parseCounters } from "./prom-counters.js";

describe("Prometheus counters", () => {
  it("keeps unlabelled samples and skips comments and labelled series", () => {
    const m = parseCounters(
      [
        "# HELP tessera_raft_readies_total Raft Ready structs processed.",
        "# TYPE tessera_raft_readies_total counter",
        "tessera_raft_readies_total 42",
        'tessera_keyspace_keys{keyspace="0"} 7',
        "tessera_store_commit_seconds_total 1.5e-3",
        "",
      ].join("\n"),
    );
    assert.deepEqual(
      [...m],
      [
        ["tessera_raft_readies_total", 42],
        ["tessera_store_commit_seconds_total", 0.0015],
      ],
    );
  });

  it("sums deltas over nodes, a missing counter counting 0", () => {
    const before = [new Map([["a", 10]]), new Map([["a", 5]])];
    const after = [
      new Map([["a", 15]]),
      new Map([
        ["a", 9],
        ["b", 2],
      ]),
    ];
    assert.deepEqual(counterDeltas(before, after, ["a", "b", "c"]), { a: 9, b: 2, c: 0 });
  });
});
