import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTesseraError, nodeId } from "../lib/index.js";
import type { BusFaults } from "../transport/index.js";
import { applyFault } from "./cluster-admin.js";

function recorder(): BusFaults & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    delay: (peers, ms) => {
      calls.push(["delay", peers, ms]);
    },
    drop: (peers, pct) => {
      calls.push(["drop", peers, pct]);
    },
    partition: (peers) => {
      calls.push(["partition", peers]);
    },
    heal: () => {
      calls.push(["heal"]);
    },
    describe: () => "faults: none",
  };
}

describe("DEBUG FAULT", () => {
  it("maps each subcommand to the bus's fault injection", () => {
    const f = recorder();
    applyFault(f, ["DELAY", "200", "2", "3"]);
    applyFault(f, ["drop", "10"]);
    applyFault(f, ["PARTITION", "2"]);
    applyFault(f, ["HEAL"]);
    assert.equal(applyFault(f, ["STATUS"]), "faults: none");
    assert.deepEqual(f.calls, [
      ["delay", [nodeId(2), nodeId(3)], 200],
      ["drop", [], 10],
      ["partition", [nodeId(2)]],
      ["heal"],
    ]);
  });

  it("refuses bad arguments with INVALID_ARGUMENT", () => {
    const f = recorder();
    for (const args of [["PARTITION"], ["DELAY", "x"], ["PARTITION", "zero"], ["NOPE"]]) {
      assert.throws(
        () => applyFault(f, args),
        (e) => isTesseraError(e, "INVALID_ARGUMENT"),
        args.join(" "),
      );
    }
  });
});
