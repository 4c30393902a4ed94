import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTesseraError, nodeId, SeededRng } from "../lib/index.js";
import { type Config, validateConfig } from "./config.js";

const base: Config = {
  id: nodeId(1),
  electionTick: 10,
  heartbeatTick: 1,
  maxInflightMsgs: 16,
  rng: new SeededRng(1),
};

describe("config validation", () => {
  it("fills in defaults for a minimal config", () => {
    const c = validateConfig(base);
    assert.equal(c.readOnlyOption, "safe");
    assert.equal(c.preVote, false);
    assert.equal(c.applied, 0);
    assert.equal(c.maxCommittedSizePerReady, c.maxSizePerMsg);
  });

  const bad: [string, Partial<Config>][] = [
    ["a zero id", { id: nodeId(0) }],
    ["a zero heartbeat", { heartbeatTick: 0 }],
    ["an election tick not above the heartbeat", { electionTick: 1 }],
    ["no inflight window", { maxInflightMsgs: 0 }],
    ["a negative size", { maxSizePerMsg: -1 }],
    ["inflight bytes below the message size", { maxSizePerMsg: 100, maxInflightBytes: 10 }],
    ["an unknown read option", { readOnlyOption: "eventual" as never }],
    ["lease reads without CheckQuorum", { readOnlyOption: "lease-based" }],
  ];
  for (const [what, patch] of bad) {
    it(`refuses ${what} with INVALID_ARGUMENT`, () => {
      assert.throws(
        () => validateConfig({ ...base, ...patch }),
        (e) => isTesseraError(e, "INVALID_ARGUMENT"),
      );
    });
  }
});
