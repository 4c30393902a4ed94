import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseOptions } from "./options.js";

describe("bench options", () => {
  it("runs scale-ranges at a moderate and a saturating client count by default", () => {
    assert.deepEqual(parseOptions([], "out").scaleClients, [50, 800]);
    assert.deepEqual(parseOptions(["--quick"], "out").scaleClients, [50]);
  });

  it("takes --scale-clients as a list of positive counts", () => {
    assert.deepEqual(parseOptions(["--scale-clients", "8"], "out").scaleClients, [8]);
    assert.deepEqual(
      parseOptions(["--scale-clients=50,200,800"], "out").scaleClients,
      [50, 200, 800],
    );
    assert.throws(() => parseOptions(["--scale-clients", "50,0"], "out"), /positive integer/);
    assert.throws(() => parseOptions(["--scale-clients", "many"], "out"), /positive integer/);
    assert.throws(() => parseOptions(["--scale-clients"], "out"), /comma-separated list/);
  });
});
