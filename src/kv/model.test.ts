/**
 * Property tests of the whole state machine against a small model: random
 * command sequences over a few keys, two keyspaces and a moving clock. After
 * every command the visible state must equal the model's, and the derived
 * metadata (counters, expiry index) must equal what the stored data implies.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { KeyspaceMode } from "../lib/index.js";
import {
  allDataBounds,
  compareBytes,
  counterBounds,
  decodeDataKey,
  decodeExpiryIndexKey,
  decodeRecord,
  expiryIndexBounds,
  expiryIndexKey,
  fromUtf8,
  type KeyspaceId,
  keyspaceId,
  utf8,
} from "../lib/index.js";
import type { WriteCommand } from "./command.js";
import { keyspaceStats, readCounters } from "./counters.js";
import { findExpiredKeys } from "./expiry.js";
import type { MemoryKvStore } from "./memory-store.js";
import { KvHarness, plain } from "./testing.js";

const T0 = 1_700_000_000_000;
const KEYS = ["a", "b", "c", "{a}x", "e"];
const SPACES = [keyspaceId(0), keyspaceId(5)];

type Entry = { value: string; expiresAtMs: number };
type Model = Map<string, Entry>; // "ks/key" → entry, live or not

const arbKey = fc.constantFrom(...KEYS);
const arbKs = fc.constantFrom(...SPACES);
const arbExpiry = fc.oneof(
  fc.constant({ kind: "none" as const }),
  fc.constant({ kind: "keep" as const }),
  fc.integer({ min: -5, max: 40 }).map((ms) => ({ kind: "in" as const, ms })),
);
const arbCommand: fc.Arbitrary<WriteCommand> = fc.oneof(
  fc.record({
    op: fc.constant("set" as const),
    ks: arbKs,
    key: arbKey.map(utf8),
    value: fc.string({ maxLength: 3 }).map(utf8),
    expiry: arbExpiry,
    cond: fc.constantFrom("always" as const, "nx" as const, "xx" as const),
    get: fc.constant(false),
  }),
  fc.record({
    op: fc.constant("del" as const),
    ks: arbKs,
    keys: fc.array(arbKey.map(utf8), { maxLength: 3 }),
  }),
  fc.record({
    op: fc.constant("append" as const),
    ks: arbKs,
    key: arbKey.map(utf8),
    value: fc.string({ maxLength: 2 }).map(utf8),
  }),
  fc.record({
    op: fc.constant("expire" as const),
    ks: arbKs,
    key: arbKey.map(utf8),
    when: fc.integer({ min: -5, max: 40 }).map((ms) => ({ kind: "in" as const, ms })),
    cond: fc.constantFrom(
      "always" as const,
      "nx" as const,
      "xx" as const,
      "gt" as const,
      "lt" as const,
    ),
  }),
  fc.record({ op: fc.constant("persist" as const), ks: arbKs, key: arbKey.map(utf8) }),
  fc.record({
    op: fc.constant("rename" as const),
    ks: arbKs,
    src: arbKey.map(utf8),
    dst: arbKey.map(utf8),
    nx: fc.boolean(),
  }),
  fc.record({
    op: fc.constant("copy" as const),
    ks: arbKs,
    src: arbKey.map(utf8),
    dst: arbKey.map(utf8),
    dstKs: arbKs,
    replace: fc.boolean(),
  }),
  fc.record({
    op: fc.constant("expire-due" as const),
    ks: arbKs,
    keys: fc.constant(KEYS.map(utf8)),
  }),
  fc.record({
    op: fc.constant("flush" as const),
    ks: fc.option(arbKs, { nil: undefined, freq: 3 }),
  }),
);
const arbStep = fc.record({ cmd: arbCommand, advanceMs: fc.integer({ min: 0, max: 15 }) });

function id(ks: KeyspaceId, key: Uint8Array): string {
  return `${ks}/${fromUtf8(key)}`;
}

/** The model's version of each command: what the visible state becomes. */
function applyModel(m: Model, c: WriteCommand, now: number): void {
  const live = (k: string): Entry | undefined => {
    const e = m.get(k);
    return e !== undefined && (e.expiresAtMs === 0 || now < e.expiresAtMs) ? e : undefined;
  };
  const put = (k: string, e: Entry) =>
    e.expiresAtMs !== 0 && e.expiresAtMs <= now ? m.delete(k) : m.set(k, e);
  switch (c.op) {
    case "set": {
      const k = id(c.ks, c.key);
      const old = live(k);
      if ((c.cond === "nx" && old) || (c.cond === "xx" && !old)) return;
      const at =
        c.expiry.kind === "in"
          ? now + c.expiry.ms
          : c.expiry.kind === "keep"
            ? (old?.expiresAtMs ?? 0)
            : 0;
      put(k, { value: fromUtf8(c.value), expiresAtMs: at });
      return;
    }
    case "del":
      for (const key of c.keys) m.delete(id(c.ks, key));
      return;
    case "append": {
      const k = id(c.ks, c.key);
      const old = live(k);
      put(k, { value: (old?.value ?? "") + fromUtf8(c.value), expiresAtMs: old?.expiresAtMs ?? 0 });
      return;
    }
    case "expire": {
      const k = id(c.ks, c.key);
      const old = live(k);
      if (!old || c.when.kind !== "in") return;
      const at = now + c.when.ms;
      const cur = old.expiresAtMs;
      const ok = {
        always: true,
        nx: cur === 0,
        xx: cur !== 0,
        gt: cur !== 0 && at > cur,
        lt: cur === 0 || at < cur,
      }[c.cond];
      if (ok) put(k, { ...old, expiresAtMs: at });
      return;
    }
    case "persist": {
      const old = live(id(c.ks, c.key));
      if (old) old.expiresAtMs = 0;
      return;
    }
    case "rename": {
      const src = id(c.ks, c.src);
      const old = live(src);
      if (!old || src === id(c.ks, c.dst) || (c.nx && live(id(c.ks, c.dst)))) return;
      m.delete(src);
      put(id(c.ks, c.dst), { ...old });
      return;
    }
    case "copy": {
      const old = live(id(c.ks, c.src));
      const dst = id(c.dstKs, c.dst);
      if (!old || id(c.ks, c.src) === dst || (!c.replace && live(dst))) return;
      put(dst, { ...old });
      return;
    }
    case "expire-due":
      return;
    case "flush":
      for (const k of [...m.keys()])
        if (c.ks === undefined || k.startsWith(`${c.ks}/`)) m.delete(k);
      return;
    default:
      assert.fail(`model has no ${c.op}`);
  }
}

/** Checks the metadata against the stored data it derives from. */
function checkMetadata(store: MemoryKvStore, now: number): void {
  const data = allDataBounds();
  const perKs = new Map<number, { keys: number; expires: number }>();
  const wantIndex: Uint8Array[] = [];
  const wantDue = new Map<number, string[]>();
  for (const { key, value } of store.scan(data.start, data.end, Number.MAX_SAFE_INTEGER)) {
    const { ks } = decodeDataKey(key);
    const r = decodeRecord(value);
    const c = perKs.get(ks) ?? { keys: 0, expires: 0 };
    c.keys++;
    if (r.expiresAtMs !== 0) {
      c.expires++;
      wantIndex.push(expiryIndexKey(ks, r.expiresAtMs, key));
      if (r.expiresAtMs <= now)
        wantDue.set(ks, [...(wantDue.get(ks) ?? []), fromUtf8(decodeDataKey(key).userKey)]);
    }
    perKs.set(ks, c);
  }
  for (const ks of SPACES)
    assert.deepEqual(readCounters(store, ks), perKs.get(ks) ?? { keys: 0, expires: 0 });
  assert.deepEqual(
    keyspaceStats(store),
    [...perKs].sort(([a], [b]) => a - b).map(([ks, c]) => ({ ks, ...c })),
  );
  const index = expiryIndexBounds(undefined);
  const gotIndex = [...store.scan(index.start, index.end, Number.MAX_SAFE_INTEGER)].map(
    (e) => e.key,
  );
  wantIndex.sort(compareBytes);
  assert.deepEqual(gotIndex, wantIndex);
  for (const k of gotIndex) decodeExpiryIndexKey(k);
  const due = findExpiredKeys(store, undefined, now, 1000).map((e) => [
    e.ks,
    e.keys.map(fromUtf8).sort(),
  ]);
  assert.deepEqual(
    due,
    [...wantDue].sort(([a], [b]) => a - b).map(([ks, keys]) => [ks, keys.sort()]),
  );
  // No stray metadata: only counters, index entries and data exist.
  const counters = counterBounds();
  const strays = store
    .entries()
    .filter(
      (e) =>
        compareBytes(e.key, counters.start) < 0 ||
        (compareBytes(e.key, counters.end) >= 0 && compareBytes(e.key, index.start) < 0),
    );
  assert.deepEqual(strays, []);
}

function checkVisible(h: KvHarness, m: Model): void {
  for (const ks of SPACES) {
    for (const key of KEYS) {
      const e = m.get(`${ks}/${key}`);
      const live = e !== undefined && (e.expiresAtMs === 0 || h.nowMs < e.expiresAtMs);
      assert.equal(
        plain(h.read({ op: "get", ks, key: utf8(key) })),
        live ? e.value : null,
        `${ks}/${key}`,
      );
      const pttl = plain(h.read({ op: "ttl", ks, key: utf8(key), form: "pttl" }));
      assert.equal(pttl, !live ? -2 : e.expiresAtMs === 0 ? -1 : e.expiresAtMs - h.nowMs);
    }
  }
}

describe("the state machine against a model", () => {
  for (const mode of ["hash", "range"] as KeyspaceMode[]) {
    it(`keeps visible state, counters and the expiry index exact (${mode} keyspaces)`, () => {
      fc.assert(
        fc.property(fc.array(arbStep, { maxLength: 40 }), (steps) => {
          const h = new KvHarness(T0, () => mode);
          const m: Model = new Map();
          for (const { cmd, advanceMs } of steps) {
            h.write(cmd);
            applyModel(m, cmd, h.nowMs);
            checkMetadata(h.store, h.nowMs);
            checkVisible(h, m);
            h.advance(advanceMs);
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  it("writes the same bytes on two replicas from the same entries", () => {
    fc.assert(
      fc.property(fc.array(arbStep, { maxLength: 30 }), (steps) => {
        const a = new KvHarness(T0);
        const b = new KvHarness(T0);
        for (const { cmd, advanceMs } of steps) {
          assert.deepEqual(a.write(cmd), b.write(cmd));
          a.advance(advanceMs);
          b.advance(advanceMs);
        }
        assert.deepEqual(a.store.entries(), b.store.entries());
      }),
      { numRuns: 50 },
    );
  });

  it("changes nothing when a command replies an error", () => {
    const h = new KvHarness(T0);
    h.write({
      op: "set",
      ks: SPACES[0] as KeyspaceId,
      key: utf8("s"),
      value: utf8("x"),
      expiry: { kind: "none" },
      cond: "always",
      get: false,
    });
    const before = h.store.entries();
    const failing: WriteCommand[] = [
      { op: "incrby", ks: SPACES[0] as KeyspaceId, key: utf8("s"), delta: 1n },
      { op: "incrbyfloat", ks: SPACES[0] as KeyspaceId, key: utf8("s"), delta: 1 },
      { op: "rename", ks: SPACES[0] as KeyspaceId, src: utf8("nope"), dst: utf8("s"), nx: false },
      {
        op: "copy",
        ks: SPACES[0] as KeyspaceId,
        src: utf8("s"),
        dst: utf8("s"),
        dstKs: SPACES[0] as KeyspaceId,
        replace: true,
      },
    ];
    for (const c of failing) {
      assert.equal(h.write(c).t, "error");
      assert.deepEqual(h.store.entries(), before);
    }
  });
});
