/** The fixture parsers on small texts: pairing, dropped failures, unknown outcomes. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UNKNOWN } from "./model.js";
import { parseEdnKvHistory, parseEdnMap } from "./parse/edn-kv.js";
import { parseJepsenLog } from "./parse/jepsen-log.js";

const INF = Number.POSITIVE_INFINITY;

describe("Jepsen log parser", () => {
  it("pairs invokes with completions, drops :fail and makes :info unknown", () => {
    const log = [
      "INFO  jepsen.util - 0\t:invoke\t:read\tnil",
      "INFO  jepsen.util - 1   :invoke :write  3",
      "INFO  jepsen.util - 2\t:invoke\t:cas\t[3 4]",
      "INFO  jepsen.util - 0\t:ok\t:read\tnil",
      "INFO  jepsen.util - 1   :info   :write  :timed-out",
      "INFO  jepsen.util - 2\t:fail\t:cas\t[3 4]",
      "INFO  jepsen.util - 3\t:invoke\t:cas\t[0 1]",
      "INFO  jepsen.util - 3\t:ok\t:cas\t[0 1]",
      "INFO  jepsen.util - 4\t:invoke\t:read\tnil",
      "",
    ].join("\n");
    assert.deepEqual(parseJepsenLog(log), [
      { clientId: 0, input: { f: "read" }, output: null, call: 1, return: 4 },
      { clientId: 1, input: { f: "write", value: 3 }, output: UNKNOWN, call: 2, return: INF },
      { clientId: 3, input: { f: "cas", from: 0, to: 1 }, output: true, call: 7, return: 8 },
      { clientId: 4, input: { f: "read" }, output: UNKNOWN, call: 9, return: INF },
    ]);
  });

  it("names the line it cannot read", () => {
    assert.throws(() => parseJepsenLog("INFO  jepsen.util - 0\t:ok\t:read\t1"), /line 1/);
    assert.throws(() => parseJepsenLog("\nsomething else"), /line 2/);
  });
});

describe("EDN kv parser", () => {
  it("reads a flat map of keywords, strings, integers and nil", () => {
    const map = parseEdnMap('{:process 12, :type :ok, :f :get, :key "a \\"b\\"", :value nil}', 1);
    assert.equal(map.get("process"), 12);
    assert.deepEqual(map.get("type"), { keyword: "ok" });
    assert.equal(map.get("key"), 'a "b"');
    assert.equal(map.get("value"), null);
  });

  it("pairs invokes with completions and reads get values", () => {
    const text = [
      '{:process 0, :type :invoke, :f :append, :key "1", :value "x"}',
      '{:process 1, :type :invoke, :f :get, :key "1", :value nil}',
      '{:process 0, :type :ok, :f :append, :key "1", :value "x"}',
      '{:process 1, :type :ok, :f :get, :key "1", :value "x"}',
      '{:process 2, :type :invoke, :f :put, :key "2", :value "y"}',
    ].join("\n");
    assert.deepEqual(parseEdnKvHistory(text), [
      { clientId: 0, input: { f: "append", key: "1", value: "x" }, output: "", call: 1, return: 3 },
      { clientId: 1, input: { f: "get", key: "1", value: "" }, output: "x", call: 2, return: 4 },
      {
        clientId: 2,
        input: { f: "put", key: "2", value: "y" },
        output: UNKNOWN,
        call: 5,
        return: INF,
      },
    ]);
  });

  it("names the line it cannot read", () => {
    assert.throws(
      () =>
        parseEdnKvHistory('{:process 0, :type :invoke, :f :get, :key "1", :value nil}\n{:process'),
      /line 2/,
    );
  });
});
