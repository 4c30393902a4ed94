/**
 * Unit tests of every write command's Redis semantics: replies, exact error
 * texts, expiry edge cases, NX/XX/GT/LT tables and determinism.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeDataKey, encodeRecord, keyspaceId, utf8 } from "../lib/index.js";
import { addCounters, readCounters } from "./counters.js";
import { cmd, KS0, KvHarness, plain } from "./testing.js";

const T0 = 1_700_000_000_000;
const err = (error: string, message: string) => ({ error, message });
const WRONGTYPE = err("WRONG_TYPE", "Operation against a key holding the wrong kind of value");

/** Stores a non-string value (a hash) at `key`, as a later data type would. */
function putHash(h: KvHarness, key: string): void {
  h.store.put(
    encodeDataKey(KS0, "hash", utf8(key)),
    encodeRecord({
      type: "hash",
      flags: 0,
      expiresAtMs: 0,
      version: 1n,
      payload: new Uint8Array(0),
    }),
  );
  addCounters(h.store, KS0, 1, 0);
}

function run(h: KvHarness, ...cmds: Parameters<KvHarness["write"]>[0][]): unknown[] {
  return cmds.map((c) => plain(h.write(c)));
}

describe("SET", () => {
  it("stores a value and replies OK", () => {
    const h = new KvHarness(T0);
    assert.equal(plain(h.write(cmd.set("k", "v"))), "OK");
    assert.equal(plain(h.read(cmd.get("k"))), "v");
  });

  it("clears a TTL unless KEEPTTL is given", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("k", "v", { expiry: { kind: "in", ms: 10_000 } }));
    h.write(cmd.set("k", "w", { expiry: { kind: "keep" } }));
    assert.equal(plain(h.read(cmd.ttl("k", "pttl"))), 10_000);
    h.write(cmd.set("k", "x"));
    assert.equal(plain(h.read(cmd.ttl("k"))), -1);
  });

  it("resolves EX/PX against the entry's stamp and EXAT/PXAT as absolute", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("a", "1", { expiry: { kind: "in", ms: 1500 } }));
    h.write(cmd.set("b", "1", { expiry: { kind: "at", atMs: T0 + 3000 } }));
    assert.equal(plain(h.read(cmd.ttl("a", "pexpiretime"))), T0 + 1500);
    assert.equal(plain(h.read(cmd.ttl("b", "pttl"))), 3000);
    h.advance(1500);
    assert.equal(plain(h.read(cmd.get("a"))), null);
    assert.equal(plain(h.read(cmd.get("b"))), "1");
  });

  it("deletes the key when the absolute time is already past, and replies OK", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("k", "old"));
    assert.equal(plain(h.write(cmd.set("k", "v", { expiry: { kind: "at", atMs: T0 - 1 } }))), "OK");
    assert.equal(plain(h.read(cmd.exists("k"))), 0);
    assert.equal(plain(h.read(cmd.dbsize())), 0);
    assert.equal(
      plain(h.write(cmd.set("k", "v", { expiry: { kind: "at", atMs: T0 }, get: true }))),
      null,
    );
  });

  it("refuses an expiry time that overflows", () => {
    const h = new KvHarness(T0);
    assert.deepEqual(
      plain(h.write(cmd.set("k", "v", { expiry: { kind: "in", ms: Number.MAX_SAFE_INTEGER } }))),
      err("INVALID_ARGUMENT", "invalid expire time in 'set' command"),
    );
    assert.equal(plain(h.read(cmd.exists("k"))), 0);
  });

  it("follows the NX/XX table", () => {
    const h = new KvHarness(T0);
    assert.deepEqual(
      run(
        h,
        cmd.set("k", "1", { cond: "xx" }),
        cmd.set("k", "2", { cond: "nx" }),
        cmd.set("k", "3", { cond: "nx" }),
        cmd.set("k", "4", { cond: "xx" }),
      ),
      [null, "OK", null, "OK"],
    );
    assert.equal(plain(h.read(cmd.get("k"))), "4");
  });

  it("treats an expired key as absent for NX and XX", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("k", "1", { expiry: { kind: "in", ms: 10 } }));
    h.advance(10);
    assert.equal(plain(h.write(cmd.set("k", "2", { cond: "xx" }))), null);
    assert.equal(plain(h.write(cmd.set("k", "3", { cond: "nx" }))), "OK");
    assert.equal(plain(h.read(cmd.get("k"))), "3");
    assert.equal(plain(h.read(cmd.dbsize())), 1);
  });

  it("replies the old value with GET, also with NX as Redis 7", () => {
    const h = new KvHarness(T0);
    assert.equal(plain(h.write(cmd.set("k", "1", { get: true }))), null);
    assert.equal(plain(h.write(cmd.set("k", "2", { get: true }))), "1");
    assert.equal(plain(h.write(cmd.set("k", "3", { get: true, cond: "nx" }))), "2");
    assert.equal(plain(h.read(cmd.get("k"))), "2");
    assert.equal(plain(h.write(cmd.set("absent", "x", { get: true, cond: "xx" }))), null);
    assert.equal(plain(h.read(cmd.exists("absent"))), 0);
  });

  it("answers GET on a non-string with WRONGTYPE and writes nothing, but overwrites it without GET", () => {
    const h = new KvHarness(T0);
    putHash(h, "h");
    const before = h.store.entries();
    assert.deepEqual(plain(h.write(cmd.set("h", "v", { get: true }))), WRONGTYPE);
    assert.deepEqual(h.store.entries(), before);
    assert.equal(plain(h.write(cmd.set("h", "v"))), "OK");
    assert.equal(plain(h.read(cmd.type("h"))), "+string");
  });
});

describe("MSET and MSETNX", () => {
  it("sets every pair and clears TTLs", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("a", "0", { expiry: { kind: "in", ms: 5000 } }));
    assert.equal(
      plain(
        h.write(
          cmd.mset([
            ["a", "1"],
            ["b", "2"],
            ["a", "3"],
          ]),
        ),
      ),
      "OK",
    );
    assert.deepEqual(plain(h.read(cmd.mget("a", "b"))), ["3", "2"]);
    assert.equal(plain(h.read(cmd.ttl("a"))), -1);
  });

  it("sets all or nothing with NX", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("b", "old"));
    assert.equal(
      plain(
        h.write(
          cmd.mset(
            [
              ["a", "1"],
              ["b", "2"],
            ],
            true,
          ),
        ),
      ),
      0,
    );
    assert.equal(plain(h.read(cmd.exists("a"))), 0);
    assert.equal(
      plain(
        h.write(
          cmd.mset(
            [
              ["a", "1"],
              ["c", "3"],
            ],
            true,
          ),
        ),
      ),
      1,
    );
    assert.deepEqual(plain(h.read(cmd.mget("a", "b", "c"))), ["1", "old", "3"]);
  });
});

describe("DEL, GETDEL, GETEX", () => {
  it("counts each deleted key once and ignores missing and expired ones", () => {
    const h = new KvHarness(T0);
    h.write(
      cmd.mset([
        ["a", "1"],
        ["b", "2"],
      ]),
    );
    h.write(cmd.set("e", "1", { expiry: { kind: "in", ms: 1 } }));
    h.advance(1);
    assert.equal(plain(h.write(cmd.del("a", "a", "b", "c", "e"))), 2);
    assert.equal(plain(h.read(cmd.dbsize())), 0);
  });

  it("GETDEL replies the value and deletes; WRONGTYPE on a non-string", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("k", "v"));
    putHash(h, "h");
    assert.deepEqual(run(h, cmd.getdel("k"), cmd.getdel("k"), cmd.getdel("h")), [
      "v",
      null,
      WRONGTYPE,
    ]);
    assert.equal(plain(h.read(cmd.exists("h"))), 1);
  });

  it("GETEX sets, keeps or removes the TTL and deletes on a past time", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("k", "v", { expiry: { kind: "in", ms: 5000 } }));
    assert.equal(plain(h.write(cmd.getex("k"))), "v");
    assert.equal(plain(h.read(cmd.ttl("k", "pttl"))), 5000);
    assert.equal(plain(h.write(cmd.getex("k", { kind: "in", ms: 9000 }))), "v");
    assert.equal(plain(h.read(cmd.ttl("k", "pttl"))), 9000);
    assert.equal(plain(h.write(cmd.getex("k", { kind: "persist" }))), "v");
    assert.equal(plain(h.read(cmd.ttl("k"))), -1);
    assert.equal(plain(h.write(cmd.getex("k", { kind: "at", atMs: T0 - 5 }))), "v");
    assert.equal(plain(h.read(cmd.exists("k"))), 0);
    assert.equal(plain(h.write(cmd.getex("k"))), null);
    putHash(h, "h");
    assert.deepEqual(plain(h.write(cmd.getex("h", { kind: "persist" }))), WRONGTYPE);
  });
});

describe("INCRBY", () => {
  it("starts from 0 and adds signed deltas", () => {
    const h = new KvHarness(T0);
    assert.deepEqual(
      run(h, cmd.incrby("n", 5n), cmd.incrby("n", -7n), cmd.incrby("n", 0n)),
      [5, -2, -2],
    );
    assert.equal(plain(h.read(cmd.get("n"))), "-2");
  });

  it("parses the stored value strictly like string2ll", () => {
    for (const bad of [" 1", "1 ", "+1", "01", "1.5", "", "abc", "9223372036854775808"]) {
      const h = new KvHarness(T0);
      h.write(cmd.set("n", bad));
      assert.deepEqual(
        plain(h.write(cmd.incrby("n", 1n))),
        err("NOT_INTEGER", "value is not an integer or out of range"),
        bad,
      );
      assert.equal(plain(h.read(cmd.get("n"))), bad);
    }
  });

  it("refuses to overflow signed 64 bits in either direction", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("n", "9223372036854775807"));
    assert.deepEqual(
      plain(h.write(cmd.incrby("n", 1n))),
      err("OVERFLOW", "increment or decrement would overflow"),
    );
    h.write(cmd.set("m", "-9223372036854775808"));
    assert.deepEqual(
      plain(h.write(cmd.incrby("m", -1n))),
      err("OVERFLOW", "increment or decrement would overflow"),
    );
    assert.equal(plain(h.write(cmd.incrby("m", 9223372036854775807n))), -1);
    assert.deepEqual(h.write(cmd.incrby("n", 0n)), { t: "int", v: 9223372036854775807n });
  });

  it("keeps the TTL and answers WRONGTYPE on a non-string", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("n", "1", { expiry: { kind: "in", ms: 4000 } }));
    h.write(cmd.incrby("n", 1n));
    assert.equal(plain(h.read(cmd.ttl("n", "pttl"))), 4000);
    putHash(h, "h");
    assert.deepEqual(plain(h.write(cmd.incrby("h", 1n))), WRONGTYPE);
  });
});

describe("INCRBYFLOAT", () => {
  it("adds and formats like Redis", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("f", "10.50"));
    assert.equal(plain(h.write(cmd.incrbyfloat("f", 0.1))), "10.6");
    assert.equal(plain(h.write(cmd.incrbyfloat("f", -5))), "5.6");
    h.write(cmd.set("g", "5.0e3"));
    assert.equal(plain(h.write(cmd.incrbyfloat("g", 2.0e2))), "5200");
    assert.equal(plain(h.write(cmd.incrbyfloat("new", 3.0e3))), "3000");
    assert.equal(plain(h.read(cmd.get("g"))), "5200");
  });

  it("refuses a stored value that is not a float, and a NaN or infinite result", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("s", "abc"));
    assert.deepEqual(
      plain(h.write(cmd.incrbyfloat("s", 1))),
      err("NOT_FLOAT", "value is not a valid float"),
    );
    h.write(cmd.set("i", "inf"));
    assert.deepEqual(
      plain(h.write(cmd.incrbyfloat("i", 1))),
      err("INVALID_ARGUMENT", "increment would produce NaN or Infinity"),
    );
    h.write(cmd.set("big", "1e308"));
    assert.deepEqual(
      plain(h.write(cmd.incrbyfloat("big", 1e308))),
      err("INVALID_ARGUMENT", "increment would produce NaN or Infinity"),
    );
    assert.equal(plain(h.read(cmd.get("big"))), "1e308");
  });

  it("keeps the TTL", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("f", "1", { expiry: { kind: "in", ms: 4000 } }));
    h.write(cmd.incrbyfloat("f", 0.5));
    assert.equal(plain(h.read(cmd.ttl("f", "pttl"))), 4000);
  });
});

describe("APPEND and SETRANGE", () => {
  it("APPEND creates or extends and replies the new length, keeping the TTL", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("k", "ab", { expiry: { kind: "in", ms: 900 } }));
    assert.deepEqual(run(h, cmd.append("k", "cd"), cmd.append("n", "x")), [4, 1]);
    assert.equal(plain(h.read(cmd.get("k"))), "abcd");
    assert.equal(plain(h.read(cmd.ttl("k", "pttl"))), 900);
  });

  it("SETRANGE pads with zero bytes and overwrites in place", () => {
    const h = new KvHarness(T0);
    assert.equal(plain(h.write(cmd.setrange("k", 3, "ab"))), 5);
    assert.deepEqual(h.read(cmd.get("k")), { t: "bulk", v: Uint8Array.of(0, 0, 0, 0x61, 0x62) });
    h.write(cmd.set("w", "Hello World"));
    assert.equal(plain(h.write(cmd.setrange("w", 6, "Redis"))), 11);
    assert.equal(plain(h.read(cmd.get("w"))), "Hello Redis");
  });

  it("SETRANGE with an empty value creates nothing and replies the length", () => {
    const h = new KvHarness(T0);
    assert.equal(plain(h.write(cmd.setrange("k", 100, ""))), 0);
    assert.equal(plain(h.read(cmd.exists("k"))), 0);
    h.write(cmd.set("k", "abc"));
    assert.equal(plain(h.write(cmd.setrange("k", 100, ""))), 3);
  });

  it("refuses to grow a string past 512 MiB", () => {
    const h = new KvHarness(T0);
    const tooLong = err(
      "LIMIT_EXCEEDED",
      "string exceeds maximum allowed size (proto-max-bulk-len)",
    );
    assert.deepEqual(plain(h.write(cmd.setrange("k", 512 * 1024 * 1024, "x"))), tooLong);
    assert.deepEqual(plain(h.write(cmd.setrange("k", 512 * 1024 * 1024 - 1, "xy"))), tooLong);
    assert.equal(plain(h.read(cmd.exists("k"))), 0);
  });

  it("answers WRONGTYPE on a non-string", () => {
    const h = new KvHarness(T0);
    putHash(h, "h");
    assert.deepEqual(run(h, cmd.append("h", "x"), cmd.setrange("h", 0, "x")), [
      WRONGTYPE,
      WRONGTYPE,
    ]);
  });
});

describe("RENAME, RENAMENX, COPY", () => {
  it("moves the value with its TTL and overwrites the destination", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("a", "1", { expiry: { kind: "in", ms: 7000 } }));
    putHash(h, "b");
    assert.equal(plain(h.write(cmd.rename("a", "b"))), "OK");
    assert.deepEqual(plain(h.read(cmd.mget("a", "b"))), [null, "1"]);
    assert.equal(plain(h.read(cmd.ttl("b", "pttl"))), 7000);
    assert.equal(plain(h.read(cmd.dbsize())), 1);
  });

  it("errors on a missing source and is a no-op on the same key", () => {
    const h = new KvHarness(T0);
    assert.deepEqual(plain(h.write(cmd.rename("x", "y"))), err("NO_SUCH_KEY", "no such key"));
    assert.deepEqual(plain(h.write(cmd.rename("x", "y", true))), err("NO_SUCH_KEY", "no such key"));
    h.write(cmd.set("a", "1"));
    assert.deepEqual(run(h, cmd.rename("a", "a"), cmd.rename("a", "a", true)), ["OK", 0]);
    assert.equal(plain(h.read(cmd.get("a"))), "1");
  });

  it("RENAMENX leaves an existing destination alone", () => {
    const h = new KvHarness(T0);
    h.write(
      cmd.mset([
        ["a", "1"],
        ["b", "2"],
      ]),
    );
    assert.deepEqual(run(h, cmd.rename("a", "b", true), cmd.rename("a", "c", true)), [0, 1]);
    assert.deepEqual(plain(h.read(cmd.mget("a", "b", "c"))), [null, "2", "1"]);
  });

  it("COPY copies with the TTL, replaces only when asked, and crosses keyspaces", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("a", "1", { expiry: { kind: "in", ms: 3000 } }));
    h.write(cmd.set("b", "2"));
    assert.deepEqual(
      run(h, cmd.copy("a", "b"), cmd.copy("a", "b", { replace: true }), cmd.copy("zz", "q")),
      [0, 1, 0],
    );
    assert.equal(plain(h.read(cmd.get("b"))), "1");
    assert.equal(plain(h.read(cmd.ttl("b", "pttl"))), 3000);
    const ks1 = keyspaceId(1);
    assert.equal(plain(h.write(cmd.copy("a", "a", { dstKs: ks1 }))), 1);
    assert.equal(plain(h.read(cmd.get("a", ks1))), "1");
    assert.equal(plain(h.read(cmd.dbsize(ks1))), 1);
    assert.deepEqual(
      plain(h.write(cmd.copy("a", "a"))),
      err("INVALID_ARGUMENT", "source and destination objects are the same"),
    );
  });
});

describe("EXPIRE family and PERSIST", () => {
  /** [has TTL before, condition, new time relative to the old one, expected reply]. */
  const table: [boolean, "nx" | "xx" | "gt" | "lt" | "always", "later" | "earlier", number][] = [
    [false, "always", "later", 1],
    [true, "always", "earlier", 1],
    [false, "nx", "later", 1],
    [true, "nx", "later", 0],
    [false, "xx", "later", 0],
    [true, "xx", "earlier", 1],
    [false, "gt", "later", 0], // no TTL = infinite: nothing is greater
    [true, "gt", "later", 1],
    [true, "gt", "earlier", 0],
    [false, "lt", "later", 1], // no TTL = infinite: anything is less
    [true, "lt", "earlier", 1],
    [true, "lt", "later", 0],
  ];
  for (const [hasTtl, cond, when, want] of table) {
    it(`replies ${want} for ${cond.toUpperCase()} on a key ${hasTtl ? "with" : "without"} a TTL, moving it ${when}`, () => {
      const h = new KvHarness(T0);
      h.write(cmd.set("k", "v", hasTtl ? { expiry: { kind: "in", ms: 10_000 } } : {}));
      const ms = when === "later" ? 20_000 : 5_000;
      assert.equal(plain(h.write(cmd.expireIn("k", ms, cond))), want);
      const expected = want === 1 ? ms : hasTtl ? 10_000 : -1;
      assert.equal(plain(h.read(cmd.ttl("k", "pttl"))), expected);
    });
  }

  it("deletes on a non-positive relative time or a past absolute one, replying 1", () => {
    const h = new KvHarness(T0);
    h.write(
      cmd.mset([
        ["a", "1"],
        ["b", "2"],
        ["c", "3"],
      ]),
    );
    assert.deepEqual(
      run(h, cmd.expireIn("a", 0), cmd.expireIn("b", -100), cmd.expireAt("c", T0)),
      [1, 1, 1],
    );
    assert.equal(plain(h.read(cmd.dbsize())), 0);
  });

  it("checks the condition before deleting on a past time", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("k", "v", { expiry: { kind: "in", ms: 10_000 } }));
    assert.equal(plain(h.write(cmd.expireIn("k", -1, "gt"))), 0);
    assert.equal(plain(h.read(cmd.exists("k"))), 1);
  });

  it("replies 0 for a missing or expired key", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("k", "v", { expiry: { kind: "in", ms: 10 } }));
    h.advance(10);
    assert.deepEqual(run(h, cmd.expireIn("k", 1000), cmd.expireIn("none", 1000)), [0, 0]);
  });

  it("PERSIST removes a TTL and replies whether there was one", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("k", "v", { expiry: { kind: "in", ms: 1000 } }));
    assert.deepEqual(run(h, cmd.persist("k"), cmd.persist("k"), cmd.persist("none")), [1, 0, 0]);
    h.advance(5000);
    assert.equal(plain(h.read(cmd.get("k"))), "v");
  });
});

describe("FLUSH and expire-due", () => {
  it("flushes one keyspace or all of them, counters included", () => {
    const h = new KvHarness(T0);
    const ks1 = keyspaceId(1);
    h.write(cmd.set("a", "1", { expiry: { kind: "in", ms: 100 } }));
    h.write(cmd.set("b", "1", { ks: ks1 }));
    assert.equal(plain(h.write(cmd.flush(KS0))), "OK");
    assert.deepEqual([plain(h.read(cmd.dbsize())), plain(h.read(cmd.dbsize(ks1)))], [0, 1]);
    assert.equal(plain(h.read(cmd.get("b", ks1))), "1");
    h.write(cmd.flush(undefined));
    assert.deepEqual(h.store.entries(), []);
  });

  it("deletes only keys still expired at the entry's stamp", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("a", "1", { expiry: { kind: "in", ms: 10 } }));
    h.write(cmd.set("b", "1", { expiry: { kind: "in", ms: 10 } }));
    h.write(cmd.set("c", "1", { expiry: { kind: "in", ms: 1000 } }));
    h.advance(10);
    h.write(cmd.set("b", "revived"));
    assert.equal(plain(h.write(cmd.expireDue("a", "b", "c", "missing"))), 1);
    assert.deepEqual(plain(h.read(cmd.mget("a", "b", "c"))), [null, "revived", "1"]);
    assert.deepEqual(readCounters(h.store, KS0), { keys: 2, expires: 1 });
  });
});

describe("applyWrite", () => {
  it("writes identical bytes on two replicas given the same entries", () => {
    const a = new KvHarness(T0);
    const b = new KvHarness(T0);
    const script = [
      cmd.set("x", "1", { expiry: { kind: "in", ms: 50 } }),
      cmd.incrby("n", 41n),
      cmd.incrbyfloat("f", 0.25),
      cmd.append("x", "2"),
      cmd.rename("x", "y"),
      cmd.expireIn("n", 30),
      cmd.mset([["p", "q"]]),
    ];
    for (const c of script) {
      assert.deepEqual(a.write(c), b.write(c));
      a.advance(7);
      b.advance(7);
    }
    assert.deepEqual(a.store.entries(), b.store.entries());
  });

  it("stamps every written record with the entry's version", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("a", "1"));
    h.write(cmd.set("b", "1"));
    const versions = h.store
      .entries()
      .filter((e) => e.key[0] === 0x01)
      .map((e) => new DataView(e.value.buffer, e.value.byteOffset).getBigUint64(12));
    assert.deepEqual([...versions].sort(), [1n, 2n]);
  });
});
