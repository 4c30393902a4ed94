/** The recorder of client histories, driven by a hand-moved clock. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkOperations } from "./check.js";
import { HistoryRecorder } from "./history-recorder.js";
import { UNKNOWN } from "./model.js";
import { type KvInput, type KvOutput, kvModel } from "./models/kv.js";

describe("HistoryRecorder", () => {
  it("records ok, drops fail, and leaves info and open operations unknown", () => {
    let now = 0;
    const rec = new HistoryRecorder<KvInput, KvOutput>(() => now);
    const set = rec.invoke(1, { cmd: "SET", key: "k", value: "v" });
    now = 2;
    const get = rec.invoke(2, { cmd: "GET", key: "k" });
    const lost = rec.invoke(3, { cmd: "DEL", key: "k" });
    now = 5;
    rec.ok(set, "OK");
    rec.fail(lost);
    const timedOut = rec.invoke(3, { cmd: "INCR", key: "k" });
    now = 7;
    rec.ok(get, "v");
    rec.info(timedOut);
    rec.invoke(4, { cmd: "GET", key: "k" });
    assert.equal(rec.pendingCount, 1);
    assert.deepEqual(rec.history(), [
      {
        clientId: 1,
        input: { cmd: "SET", key: "k", value: "v" },
        output: "OK",
        call: 0,
        return: 5,
      },
      { clientId: 2, input: { cmd: "GET", key: "k" }, output: "v", call: 2, return: 7 },
      {
        clientId: 3,
        input: { cmd: "INCR", key: "k" },
        output: UNKNOWN,
        call: 5,
        return: Number.POSITIVE_INFINITY,
      },
      {
        clientId: 4,
        input: { cmd: "GET", key: "k" },
        output: UNKNOWN,
        call: 7,
        return: Number.POSITIVE_INFINITY,
      },
    ]);
    assert.equal(checkOperations(kvModel, rec.history()).outcome, "ok");
  });

  it("refuses to complete an operation twice or one never invoked", () => {
    const rec = new HistoryRecorder<KvInput, KvOutput>(() => 0);
    const id = rec.invoke(1, { cmd: "GET", key: "k" });
    rec.ok(id, null);
    assert.throws(() => rec.ok(id, null), /not open/);
    assert.throws(() => rec.info(42), /not open/);
  });

  it("refuses a clock that goes back", () => {
    let now = 10;
    const rec = new HistoryRecorder<KvInput, KvOutput>(() => now);
    const id = rec.invoke(1, { cmd: "GET", key: "k" });
    now = 9;
    assert.throws(() => rec.ok(id, null), /went back/);
  });
});
