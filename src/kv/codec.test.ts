/**
 * Round-trip and corruption tests of the command codec of the replication log.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { keyspaceId } from "../lib/index.js";
import { COMMAND_FORMAT_VERSION, decodeCommand, encodeCommand } from "./codec.js";
import type { KvCommand } from "./command.js";
import { INT64_MAX, INT64_MIN } from "./numbers.js";

const ks = fc.integer({ min: 0, max: 0xffff_ffff }).map(keyspaceId);
const bytes = fc.uint8Array({ maxLength: 20 });
const int = fc.integer({ min: -(2 ** 40), max: 2 ** 40 });
const expiry = fc.oneof(
  fc.constant({ kind: "none" as const }),
  fc.constant({ kind: "keep" as const }),
  fc.constant({ kind: "persist" as const }),
  int.map((ms) => ({ kind: "in" as const, ms })),
  fc
    .integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
    .map((atMs) => ({ kind: "at" as const, atMs })),
);
const when = fc.oneof(
  int.map((ms) => ({ kind: "in" as const, ms })),
  int.map((atMs) => ({ kind: "at" as const, atMs })),
);
const keys = fc.array(bytes, { maxLength: 4 });

const arbCommand: fc.Arbitrary<KvCommand> = fc.oneof(
  fc.record({
    op: fc.constant("set" as const),
    ks,
    key: bytes,
    value: bytes,
    expiry,
    cond: fc.constantFrom("always" as const, "nx" as const, "xx" as const),
    get: fc.boolean(),
  }),
  fc.record({
    op: fc.constant("mset" as const),
    ks,
    pairs: fc.array(fc.tuple(bytes, bytes), { maxLength: 3 }),
    nx: fc.boolean(),
  }),
  fc.record({
    op: fc.constantFrom(
      "del" as const,
      "expire-due" as const,
      "mget" as const,
      "exists" as const,
      "touch" as const,
    ),
    ks,
    keys,
  }),
  fc.record({
    op: fc.constantFrom(
      "getdel" as const,
      "persist" as const,
      "get" as const,
      "type" as const,
      "strlen" as const,
    ),
    ks,
    key: bytes,
  }),
  fc.record({ op: fc.constant("getex" as const), ks, key: bytes, expiry }),
  fc.record({
    op: fc.constant("incrby" as const),
    ks,
    key: bytes,
    delta: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
  }),
  fc.record({
    op: fc.constant("incrbyfloat" as const),
    ks,
    key: bytes,
    delta: fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
  }),
  fc.record({ op: fc.constant("append" as const), ks, key: bytes, value: bytes }),
  fc.record({
    op: fc.constant("setrange" as const),
    ks,
    key: bytes,
    offset: fc.nat(),
    value: bytes,
  }),
  fc.record({ op: fc.constant("rename" as const), ks, src: bytes, dst: bytes, nx: fc.boolean() }),
  fc.record({
    op: fc.constant("copy" as const),
    ks,
    src: bytes,
    dst: bytes,
    dstKs: ks,
    replace: fc.boolean(),
  }),
  fc.record({
    op: fc.constant("expire" as const),
    ks,
    key: bytes,
    when,
    cond: fc.constantFrom(
      "always" as const,
      "nx" as const,
      "xx" as const,
      "gt" as const,
      "lt" as const,
    ),
  }),
  fc.record({ op: fc.constant("flush" as const), ks: fc.option(ks, { nil: undefined }) }),
  fc.record({ op: fc.constant("getrange" as const), ks, key: bytes, start: int, end: int }),
  fc.record({
    op: fc.constant("ttl" as const),
    ks,
    key: bytes,
    form: fc.constantFrom(
      "ttl" as const,
      "pttl" as const,
      "expiretime" as const,
      "pexpiretime" as const,
    ),
  }),
  fc.record({ op: fc.constant("keys" as const), ks, pattern: bytes }),
  fc.record({
    op: fc.constant("scan" as const),
    ks,
    cursor: fc.bigInt({ min: 0n, max: 1n << 200n }).map(String),
    match: fc.option(bytes, { nil: undefined }),
    count: fc.nat(),
    type: fc.option(fc.string(), { nil: undefined }),
  }),
  fc.record({ op: fc.constant("randomkey" as const), ks, seed: fc.nat() }),
  fc.record({ op: fc.constant("dbsize" as const), ks }),
);
const stamp = fc.record({
  nowMs: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  version: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
});

describe("command codec", () => {
  it("round-trips every command and stamp, bigints and binary keys included", () => {
    fc.assert(
      fc.property(arbCommand, stamp, (cmd, st) => {
        const bytes = encodeCommand(cmd, st);
        assert.equal(bytes[0], COMMAND_FORMAT_VERSION);
        const back = decodeCommand(bytes);
        // fast-check builds records without a prototype; compare plain copies.
        assert.deepEqual(back.stamp, { ...st });
        assert.deepEqual(back.cmd, { ...cmd });
        for (const v of Object.values(back.cmd))
          if (v instanceof Uint8Array) assert.equal(Object.getPrototypeOf(v), Uint8Array.prototype);
      }),
      { numRuns: 500 },
    );
  });

  it("refuses bytes that are not a command of a known format with CORRUPTION", () => {
    const good = encodeCommand(
      { op: "get", ks: keyspaceId(0), key: Uint8Array.of(1) },
      { nowMs: 1, version: 2n },
    );
    const cases = [
      new Uint8Array(0),
      Uint8Array.of(1),
      Uint8Array.of(9, ...good.subarray(1)),
      good.subarray(0, good.length - 1),
      Uint8Array.of(1, 0xc1),
    ];
    for (const bad of cases)
      assert.throws(() => decodeCommand(bad), { name: "TesseraError", code: "CORRUPTION" });
  });

  it("refuses a well-formed body with the wrong fields", () => {
    const mutated = encodeCommand({ op: "dbsize", ks: keyspaceId(3) }, { nowMs: 1, version: 2n });
    // Change the op code (third array element) from dbsize to get, which needs a key.
    const i = mutated.lastIndexOf(26); // the op code of dbsize
    const bad = mutated.slice();
    bad[i] = 15; // get
    assert.throws(() => decodeCommand(bad), { code: "CORRUPTION" });
  });
});
