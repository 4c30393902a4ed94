/**
 * Unit tests of the read commands: replies of Redis 7, expiry visibility,
 * GETRANGE index rules and TTL rounding.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeDataKey, encodeRecord, keyspaceId, utf8 } from "../lib/index.js";
import { addCounters } from "./counters.js";
import { cmd, KS0, KvHarness, plain } from "./testing.js";

const T0 = 1_700_000_000_000;
const WRONGTYPE = {
  error: "WRONG_TYPE",
  message: "Operation against a key holding the wrong kind of value",
};

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

describe("GET and MGET", () => {
  it("GET answers nil, the value, or WRONGTYPE", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("s", "v"));
    putHash(h, "h");
    assert.deepEqual(
      [plain(h.read(cmd.get("s"))), plain(h.read(cmd.get("none"))), plain(h.read(cmd.get("h")))],
      ["v", null, WRONGTYPE],
    );
  });

  it("MGET answers nil for a missing key and for a non-string", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("s", "v"));
    putHash(h, "h");
    assert.deepEqual(plain(h.read(cmd.mget("s", "h", "none", "s"))), ["v", null, null, "v"]);
  });

  it("hides a key from the millisecond it expires", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("k", "v", { expiry: { kind: "in", ms: 100 } }));
    h.advance(99);
    assert.equal(plain(h.read(cmd.get("k"))), "v");
    h.advance(1);
    const hidden: [ReturnType<typeof cmd.get>, unknown][] = [
      [cmd.get("k"), null],
      [cmd.exists("k"), 0],
      [cmd.strlen("k"), 0],
      [cmd.ttl("k"), -2],
      [cmd.type("k"), "+none"],
      [cmd.keys("*"), []],
      [cmd.mget("k"), [null]],
      [cmd.scan("0"), ["0", []]],
      [cmd.randomkey(3), null],
    ];
    for (const [c, want] of hidden) assert.deepEqual(plain(h.read(c)), want, c.op);
    // DBSIZE counts it until it is reclaimed, as Redis does.
    assert.equal(plain(h.read(cmd.dbsize())), 1);
  });

  it("reads binary keys and values", () => {
    const h = new KvHarness(T0);
    const key = Uint8Array.of(0, 0xff, 0x7b, 0x7d);
    h.write(cmd.set(key, Uint8Array.of(1, 2, 0)));
    assert.deepEqual(h.read(cmd.get(key)), { t: "bulk", v: Uint8Array.of(1, 2, 0) });
  });
});

describe("EXISTS, TOUCH, TYPE, STRLEN", () => {
  it("counts every occurrence of an existing key", () => {
    const h = new KvHarness(T0);
    h.write(
      cmd.mset([
        ["a", "1"],
        ["b", "2"],
      ]),
    );
    assert.equal(plain(h.read(cmd.exists("a", "a", "b", "c"))), 3);
    assert.equal(plain(h.read(cmd.touch("a", "c", "b"))), 2);
  });

  it("TYPE answers a status", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("s", "v"));
    putHash(h, "h");
    assert.deepEqual(
      [plain(h.read(cmd.type("s"))), plain(h.read(cmd.type("h"))), plain(h.read(cmd.type("x")))],
      ["+string", "+hash", "+none"],
    );
  });

  it("STRLEN answers the length, 0 when missing, WRONGTYPE on a non-string", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("s", "héllo"));
    putHash(h, "h");
    assert.deepEqual(
      [
        plain(h.read(cmd.strlen("s"))),
        plain(h.read(cmd.strlen("x"))),
        plain(h.read(cmd.strlen("h"))),
      ],
      [6, 0, WRONGTYPE],
    );
  });
});

describe("GETRANGE", () => {
  const cases: [number, number, string][] = [
    [0, 3, "This"],
    [-3, -1, "ing"],
    [0, -1, "This is a string"],
    [10, 100, "string"],
    [5, 3, ""],
    [-1, -5, ""],
    [-100, 3, "This"],
    [-100, -90, "T"],
    [20, 30, ""],
    [0, -100, "T"],
  ];
  for (const [start, end, want] of cases) {
    it(`GETRANGE ${start} ${end} of "This is a string" is "${want}"`, () => {
      const h = new KvHarness(T0);
      h.write(cmd.set("k", "This is a string"));
      assert.equal(plain(h.read(cmd.getrange("k", start, end))), want);
    });
  }

  it("answers an empty string for a missing key and WRONGTYPE for a non-string", () => {
    const h = new KvHarness(T0);
    putHash(h, "h");
    h.write(cmd.set("e", ""));
    assert.deepEqual(
      [
        plain(h.read(cmd.getrange("x", 0, 1))),
        plain(h.read(cmd.getrange("e", 0, -1))),
        plain(h.read(cmd.getrange("h", 0, 1))),
      ],
      ["", "", WRONGTYPE],
    );
  });
});

describe("TTL, PTTL, EXPIRETIME, PEXPIRETIME", () => {
  it("answers -2 for a missing key and -1 without expiry", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("k", "v"));
    for (const form of ["ttl", "pttl", "expiretime", "pexpiretime"] as const) {
      assert.equal(plain(h.read(cmd.ttl("none", form))), -2);
      assert.equal(plain(h.read(cmd.ttl("k", form))), -1);
    }
  });

  it("rounds seconds to the nearest like Redis ((ms + 500) / 1000)", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("k", "v", { expiry: { kind: "in", ms: 10_000 } }));
    const at = (advance: number) => {
      h.advance(advance);
      return [plain(h.read(cmd.ttl("k"))), plain(h.read(cmd.ttl("k", "pttl")))];
    };
    assert.deepEqual(at(0), [10, 10_000]);
    assert.deepEqual(at(499), [10, 9501]);
    assert.deepEqual(at(1), [10, 9500]);
    assert.deepEqual(at(1), [9, 9499]);
    assert.deepEqual(at(9000), [0, 499]);
  });

  it("answers absolute times for EXPIRETIME and PEXPIRETIME", () => {
    const h = new KvHarness(T0);
    h.write(cmd.set("k", "v", { expiry: { kind: "at", atMs: 1_800_000_000_499 } }));
    assert.equal(plain(h.read(cmd.ttl("k", "pexpiretime"))), 1_800_000_000_499);
    assert.equal(plain(h.read(cmd.ttl("k", "expiretime"))), 1_800_000_000);
  });
});

describe("KEYS, DBSIZE, RANDOMKEY", () => {
  it("KEYS matches globs and '*' matches every key, even the empty one", () => {
    const h = new KvHarness(T0);
    h.write(
      cmd.mset([
        ["hello", "1"],
        ["hallo", "1"],
        ["hxllo", "1"],
        ["world", "1"],
        ["", "1"],
      ]),
    );
    const sorted = (r: unknown) => [...(r as string[])].sort();
    assert.deepEqual(sorted(plain(h.read(cmd.keys("h?llo")))), ["hallo", "hello", "hxllo"]);
    assert.deepEqual(sorted(plain(h.read(cmd.keys("h[ae]llo")))), ["hallo", "hello"]);
    assert.deepEqual(sorted(plain(h.read(cmd.keys("*")))), [
      "",
      "hallo",
      "hello",
      "hxllo",
      "world",
    ]);
    assert.deepEqual(plain(h.read(cmd.keys("nomatch*"))), []);
  });

  it("DBSIZE counts keys per keyspace", () => {
    const h = new KvHarness(T0);
    h.write(
      cmd.mset([
        ["a", "1"],
        ["b", "1"],
      ]),
    );
    h.write(cmd.set("a", "1", { ks: keyspaceId(2) }));
    assert.deepEqual(
      [
        plain(h.read(cmd.dbsize())),
        plain(h.read(cmd.dbsize(keyspaceId(2)))),
        plain(h.read(cmd.dbsize(keyspaceId(3)))),
      ],
      [2, 1, 0],
    );
  });

  it("RANDOMKEY answers nil when empty and a live key chosen by the seed otherwise", () => {
    const h = new KvHarness(T0);
    assert.equal(plain(h.read(cmd.randomkey(1))), null);
    h.write(cmd.set("dead", "1", { expiry: { kind: "in", ms: 1 } }));
    h.advance(1);
    assert.equal(plain(h.read(cmd.randomkey(1))), null);
    const keys = Array.from({ length: 50 }, (_, i) => `key:${i}`);
    h.write(cmd.mset(keys.map((k) => [k, "v"])));
    const seen = new Set<unknown>();
    for (let seed = 0; seed < 200; seed++) {
      const r = plain(h.read(cmd.randomkey(seed)));
      assert.equal(r, plain(h.read(cmd.randomkey(seed))));
      assert.ok(keys.includes(r as string));
      seen.add(r);
    }
    assert.ok(seen.size > 25, `only ${seen.size} distinct keys`);
  });

  it("RANDOMKEY reaches many keys of a large keyspace of either mode", () => {
    for (const mode of ["hash", "range"] as const) {
      const h = new KvHarness(T0, () => mode);
      const keys = Array.from({ length: 3000 }, (_, i) => `user:${i}`);
      h.write(cmd.mset(keys.map((k) => [k, "v"])));
      const seen = new Set<unknown>();
      for (let seed = 0; seed < 100; seed++) seen.add(plain(h.read(cmd.randomkey(seed))));
      assert.ok(seen.size > 50, `${mode}: only ${seen.size} distinct keys`);
    }
  });

  it("RANDOMKEY works in a range keyspace", () => {
    const h = new KvHarness(T0, () => "range");
    h.write(
      cmd.mset([
        ["a", "1"],
        ["b", "1"],
        ["c", "1"],
      ]),
    );
    const seen = new Set<unknown>();
    for (let seed = 0; seed < 100; seed++) seen.add(plain(h.read(cmd.randomkey(seed))));
    assert.deepEqual([...seen].sort(), ["a", "b", "c"]);
  });
});
