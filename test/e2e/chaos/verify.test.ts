/**
 * The chaos verdicts judge what they are given: a stale read is found
 * illegal, a refused write that took effect is told apart from a lost one,
 * and outcome.ts sorts failures into "did not happen" and "unknown".
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { outcomeOf } from "./outcome.js";
import { checkHistory } from "./verify.js";
import { Workload } from "./workload.js";

function workload(): Workload {
  return new Workload({
    clientCount: 1,
    seed: 1,
    registerKeys: ["r"],
    counterKeys: ["c"],
    epochMs: 10_000,
    commandTimeoutMs: 1_000,
    portOf: () => 0,
    nodeCount: 3,
  });
}

describe("chaos verdicts", () => {
  it("find a read of an overwritten value illegal", () => {
    const w = workload();
    const r = w.recorder;
    r.ok(r.invoke(0, { cmd: "SET", key: "r", value: "1" }), "OK");
    r.ok(r.invoke(0, { cmd: "SET", key: "r", value: "2" }), "OK");
    r.ok(r.invoke(1, { cmd: "GET", key: "r" }), "1");
    const v = checkHistory(w, 5_000);
    assert.equal(v.result.outcome, "illegal");
    assert.equal(v.lenientOutcome, undefined);
  });

  it("tell a refused write that took effect from a lost one", () => {
    const w = workload();
    const r = w.recorder;
    const refused = r.invoke(0, { cmd: "SET", key: "r", value: "x" });
    r.fail(refused);
    w.refusedWrites.push({
      clientId: 0,
      input: { cmd: "SET", key: "r", value: "x" },
      output: "OK",
      call: 0,
      return: Number.POSITIVE_INFINITY,
    });
    r.ok(r.invoke(1, { cmd: "GET", key: "r" }), "x");
    const v = checkHistory(w, 5_000);
    assert.equal(v.result.outcome, "illegal");
    assert.equal(v.lenientOutcome, "ok");
  });

  it("count only refusals and unsent writes as not applied", () => {
    assert.equal(outcomeOf(new Error("CLUSTERDOWN range 2 has no leader"), true), "fail");
    assert.equal(outcomeOf(new Error("TRYAGAIN please retry"), true), "fail");
    assert.equal(
      outcomeOf(new Error("Stream isn't writeable and enableOfflineQueue options is false"), true),
      "fail",
    );
    assert.equal(outcomeOf(new Error("ERR write outcome unknown: lost"), true), "info");
    assert.equal(outcomeOf(new Error("Command timed out"), true), "info");
    assert.equal(outcomeOf(new Error("Connection is closed."), true), "info");
    assert.equal(outcomeOf(new Error("Command timed out"), false), "fail");
  });
});
