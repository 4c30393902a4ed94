import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTesseraError } from "../lib/index.js";
import { formatAddress, parseAddress } from "./address.js";
import { checkBusLimits, DEFAULT_BUS_LIMITS } from "./limits.js";

describe("bus limits", () => {
  it("accepts the defaults", () => {
    checkBusLimits(DEFAULT_BUS_LIMITS);
  });

  it("names the limit that is not a positive integer or breaks a relation", () => {
    const bad = [
      { ...DEFAULT_BUS_LIMITS, busFrameBytesMax: 0 },
      { ...DEFAULT_BUS_LIMITS, busCallsPendingMax: 1.5 },
      { ...DEFAULT_BUS_LIMITS, busSendQueueBytesMax: DEFAULT_BUS_LIMITS.busFrameBytesMax - 1 },
      { ...DEFAULT_BUS_LIMITS, busReconnectBackoffMsMin: 10_000 },
      { ...DEFAULT_BUS_LIMITS, busPingIdleMs: DEFAULT_BUS_LIMITS.busDeadIdleMs },
    ];
    for (const limits of bad) {
      assert.throws(
        () => checkBusLimits(limits),
        (e) => isTesseraError(e, "INVALID_ARGUMENT"),
      );
    }
  });
});

describe("bus addresses", () => {
  it("parses host:port and [v6]:port, and formats them back", () => {
    assert.deepEqual(parseAddress("10.1.2.3:17379"), { host: "10.1.2.3", port: 17379 });
    assert.deepEqual(parseAddress("[::1]:7"), { host: "::1", port: 7 });
    assert.equal(formatAddress("::1", 7), "[::1]:7");
    assert.equal(formatAddress("node-a", 1), "node-a:1");
  });

  it("refuses addresses without a valid port", () => {
    for (const a of ["", "host", "host:0", "host:70000", ":80", "::1:80"]) {
      assert.throws(
        () => parseAddress(a),
        (e) => isTesseraError(e, "INVALID_ARGUMENT"),
        a,
      );
    }
  });
});
