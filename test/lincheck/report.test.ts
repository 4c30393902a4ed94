/** What a violation report says: the key, the core, the deepest linearization and the stuck operation. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkOperations } from "./check.js";
import type { Operation } from "./model.js";
import { type KvInput, type KvOutput, kvModel } from "./models/kv.js";
import { formatResult } from "./report.js";

type KvOperation = Operation<KvInput, KvOutput>;

const op = (
  clientId: number,
  input: KvInput,
  output: KvOutput,
  call: number,
  ret: number,
): KvOperation => ({
  clientId,
  input,
  output,
  call,
  return: ret,
});

describe("violation report", () => {
  it("names the key and shrinks to the operations that conflict", () => {
    const history = [
      op(0, { cmd: "SET", key: "a", value: "1" }, "OK", 0, 1),
      op(1, { cmd: "SET", key: "b", value: "1" }, "OK", 0, 1),
      op(0, { cmd: "INCR", key: "b" }, 2, 2, 3),
      op(1, { cmd: "GET", key: "a" }, "1", 2, 3),
      op(2, { cmd: "GET", key: "b" }, "1", 4, 5),
      op(2, { cmd: "APPEND", key: "b", value: "x" }, 3, 6, 7),
    ];
    const result = checkOperations(kvModel, history);
    assert.ok(result.outcome === "illegal");
    assert.equal(result.violation.partition, "b");
    assert.deepEqual(result.violation.core, [history[2], history[4]]);
    assert.equal(result.violation.coreMinimal, true);
    const text = formatResult(kvModel, result);
    assert.match(text, /partition "b"/);
    assert.match(
      text,
      /these 2 operations cannot be linearized together, whatever the other 2 did:/,
    );
    assert.match(text, /client 0 {2}\[2 \.\. 3\] {2}INCR b -> 2/);
    assert.match(text, /client 2 {2}\[4 \.\. 5\] {2}GET b -> "1"/);
    console.log(text);
  });

  it("reports 'ok' and 'unknown' in one line", () => {
    const ok = checkOperations(kvModel, [op(0, { cmd: "GET", key: "a" }, null, 0, 1)]);
    assert.equal(formatResult(kvModel, ok), "linearizable (model tessera-kv, 1 partition)");
    const writes = Array.from({ length: 16 }, (_, i) =>
      op(i, { cmd: "SET", key: "a", value: String(i) }, "OK", 0, 100),
    );
    const unknown = checkOperations(
      kvModel,
      [...writes, op(99, { cmd: "GET", key: "a" }, "x", 101, 102)],
      {
        cacheEntriesMax: 100,
      },
    );
    assert.equal(
      formatResult(kvModel, unknown),
      'unknown: the search of partition "a" ran out of memory (model tessera-kv, 1 partition)',
    );
  });
});
