/**
 * The sequential specifications, one command at a time: what each model
 * accepts and the state it moves to, including unknown outputs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ILLEGAL, type Model, UNKNOWN } from "./model.js";
import { type KvInput, type KvOutput, kvModel, parseInt64, utf8Length } from "./models/kv.js";
import { kvAppendModel } from "./models/kv-append.js";
import { registerModel } from "./models/register.js";

/** Runs `steps` from the initial state; the state after, or ILLEGAL at the first refusal. */
function run<S, I, O>(model: Model<S, I, O>, steps: [I, O | typeof UNKNOWN][]): S | typeof ILLEGAL {
  let state = model.init();
  for (const [input, output] of steps) {
    const next = model.step(state, input, output);
    if (next === ILLEGAL) return ILLEGAL;
    state = next;
  }
  return state;
}

const kv = (...steps: [KvInput, KvOutput | typeof UNKNOWN][]) => run(kvModel, steps);
const K = "k";

describe("tessera-kv model", () => {
  it("reads nil from a missing key and the value after SET", () => {
    assert.equal(kv([{ cmd: "GET", key: K }, null]), null);
    assert.equal(
      kv([{ cmd: "SET", key: K, value: "v" }, "OK"], [{ cmd: "GET", key: K }, "v"]),
      "v",
    );
    assert.equal(
      kv([{ cmd: "SET", key: K, value: "v" }, "OK"], [{ cmd: "GET", key: K }, null]),
      ILLEGAL,
    );
  });

  it("applies SET NX only to a missing key and SET XX only to an existing one", () => {
    const nx = (value: string): KvInput => ({ cmd: "SET", key: K, value, cond: "NX" });
    const xx = (value: string): KvInput => ({ cmd: "SET", key: K, value, cond: "XX" });
    assert.equal(kv([xx("a"), null], [nx("b"), "OK"], [nx("c"), null], [xx("d"), "OK"]), "d");
    assert.equal(kv([xx("a"), "OK"]), ILLEGAL);
    assert.equal(kv([nx("a"), null]), ILLEGAL);
  });

  it("counts a DEL of an existing key as 1 and of a missing key as 0", () => {
    const del: KvInput = { cmd: "DEL", key: K };
    assert.equal(
      kv([del, 0], [{ cmd: "SET", key: K, value: "x" }, "OK"], [del, 1], [del, 0]),
      null,
    );
    assert.equal(kv([del, 1]), ILLEGAL);
  });

  it("increments integers, starting a missing key at 0", () => {
    const incr: KvInput = { cmd: "INCR", key: K };
    assert.equal(kv([incr, 1], [incr, 2n], [{ cmd: "GET", key: K }, "2"]), "2");
    assert.equal(kv([{ cmd: "SET", key: K, value: "-5" }, "OK"], [incr, -4]), "-4");
    assert.equal(kv([incr, 2]), ILLEGAL);
  });

  it("answers INCR on a value that is not a strict int64 with NOT_INTEGER and leaves it", () => {
    for (const value of ["abc", "1.5", " 1", "01", "+1", "-0", "", "9223372036854775808"]) {
      const set: KvInput = { cmd: "SET", key: K, value };
      assert.equal(
        kv([set, "OK"], [{ cmd: "INCR", key: K }, { error: "NOT_INTEGER" }]),
        value,
        value,
      );
      assert.equal(kv([set, "OK"], [{ cmd: "INCR", key: K }, 1]), ILLEGAL, value);
    }
  });

  it("answers INCR past the int64 maximum with OVERFLOW", () => {
    const max = "9223372036854775807";
    const steps: [KvInput, KvOutput][] = [
      [{ cmd: "SET", key: K, value: max }, "OK"],
      [{ cmd: "INCR", key: K }, { error: "OVERFLOW" }],
    ];
    assert.equal(kv(...steps), max);
  });

  it("returns the old value from GETSET and the new byte length from APPEND", () => {
    assert.equal(
      kv(
        [{ cmd: "GETSET", key: K, value: "a" }, null],
        [{ cmd: "GETSET", key: K, value: "b" }, "a"],
      ),
      "b",
    );
    assert.equal(
      kv([{ cmd: "APPEND", key: K, value: "ab" }, 2], [{ cmd: "APPEND", key: K, value: "é" }, 4]),
      "abé",
    );
    assert.equal(kv([{ cmd: "APPEND", key: K, value: "ab" }, 3]), ILLEGAL);
  });

  it("applies a command with an unknown output without judging it", () => {
    assert.equal(
      kv([{ cmd: "SET", key: K, value: "x" }, UNKNOWN], [{ cmd: "INCR", key: K }, UNKNOWN]),
      "x",
    );
    assert.equal(
      kv([{ cmd: "INCR", key: K }, UNKNOWN], [{ cmd: "APPEND", key: K, value: "0" }, UNKNOWN]),
      "10",
    );
  });

  it("partitions a history by key", () => {
    const op = (key: string) => ({
      clientId: 0,
      input: { cmd: "GET", key } as KvInput,
      output: null,
      call: 0,
      return: 1,
    });
    const parts = kvModel.partition?.([op("a"), op("b"), op("a")]);
    assert.deepEqual([...(parts?.keys() ?? [])], ["a", "b"]);
    assert.equal(parts?.get("a")?.length, 2);
  });

  it("reads integers the way Redis's string2ll does", () => {
    assert.equal(parseInt64("-9223372036854775808"), -(2n ** 63n));
    assert.equal(parseInt64("0"), 0n);
    assert.equal(parseInt64("007"), undefined);
    assert.equal(utf8Length("a€😀"), 1 + 3 + 4);
  });
});

describe("register model", () => {
  it("reads nil before any write and swaps only from the current value", () => {
    const state = run(registerModel, [
      [{ f: "read" }, null],
      [{ f: "write", value: 1 }, null],
      [{ f: "cas", from: 2, to: 3 }, false],
      [{ f: "cas", from: 1, to: 3 }, true],
      [{ f: "read" }, 3],
    ]);
    assert.equal(state, 3);
    assert.equal(run(registerModel, [[{ f: "cas", from: 1, to: 3 }, true]]), ILLEGAL);
  });
});

describe("kv-append model", () => {
  it("reads the empty string from a missing key and appends to the value", () => {
    const state = run(kvAppendModel, [
      [{ f: "get", key: K, value: "" }, ""],
      [{ f: "append", key: K, value: "x" }, ""],
      [{ f: "append", key: K, value: "y" }, ""],
      [{ f: "get", key: K, value: "" }, "xy"],
      [{ f: "put", key: K, value: "z" }, ""],
    ]);
    assert.equal(state, "z");
  });
});
