/**
 * Every stored Raft record carries a CRC-32C: a flipped bit in a log entry,
 * hard state or applied state is reported as CORRUPTION when read, never
 * misread as another value.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTesseraError, logIndex, nodeId, rangeId, term } from "../lib/index.js";
import { crc32c } from "./crc32c.js";
import { MemoryEngine } from "./memory-engine.js";
import {
  decodeAppliedState,
  decodeEntry,
  decodeHardState,
  encodeAppliedState,
  encodeEntry,
  encodeHardState,
  logKey,
} from "./raft-codec.js";
import { Store } from "./store.js";
import { ONE_VOTER } from "./testing/conf.js";

const CONF = ONE_VOTER;
const corruption = (e: unknown) => isTesseraError(e, "CORRUPTION");
const flip = (bytes: Uint8Array, at: number) => {
  const out = bytes.slice();
  out[at]! ^= 0x10;
  return out;
};

describe("checksums of stored raft state", () => {
  it("computes CRC-32C (Castagnoli)", () => {
    assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
    // Every length and alignment agrees with the byte-at-a-time definition.
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      table[n] = c >>> 0;
    }
    const plain = (bytes: Uint8Array, crc: number) => {
      let c = ~crc >>> 0;
      for (const x of bytes) c = table[(c ^ x) & 0xff]! ^ (c >>> 8);
      return ~c >>> 0;
    };
    const buffer = Uint8Array.from({ length: 420 }, (_, n) => (n * 73 + 11) & 0xff);
    for (let len = 0; len < 410; len += len < 150 ? 1 : 7) {
      for (let at = 0; at < 5; at++) {
        const bytes = buffer.subarray(at, at + len);
        assert.equal(crc32c(bytes, len * 7919), plain(bytes, len * 7919), `${len} bytes at ${at}`);
      }
    }
  });

  it("refuses a flipped bit anywhere in an entry, a hard state or an applied state", () => {
    const entry = encodeEntry({
      index: logIndex(5),
      term: term(2),
      type: "normal",
      data: new Uint8Array([1, 2, 3]),
    });
    const hard = encodeHardState({ term: term(3), vote: nodeId(1), commit: logIndex(4) });
    const applied = encodeAppliedState({ index: logIndex(4), term: term(3), confState: CONF });
    for (let at = 0; at < entry.length; at++)
      assert.throws(() => decodeEntry(logIndex(5), flip(entry, at)), corruption);
    for (let at = 0; at < hard.length; at++)
      assert.throws(() => decodeHardState(flip(hard, at)), corruption);
    assert.throws(() => decodeAppliedState(flip(applied, 3)), corruption);
    assert.throws(() => decodeEntry(logIndex(5), entry.subarray(0, entry.length - 1)), corruption);
  });

  it("reports CORRUPTION when the engine hands back a corrupted log entry", async () => {
    const engine = new MemoryEngine();
    const store = Store.openEngine(engine, {
      create: { clusterId: "c", nodeId: nodeId(1), nowMs: 0 },
      logTailEntriesMax: 1,
      // Every commit moves the journal to raft-log, where this test corrupts an entry.
      journalLimits: { recordsMax: 1, bytesMax: 1, entryBytesMax: 4096, appendEntriesMax: 100 },
    });
    store.bootstrapRange(rangeId(1), CONF);
    const log = store.logStorage(rangeId(1));
    const batch = store.newBatch();
    batch.append(
      log,
      [1, 2, 3].map((i) => ({
        index: logIndex(i),
        term: term(1),
        type: "normal" as const,
        data: new Uint8Array([i]),
      })),
    );
    await store.commit(batch);
    // Entry 1 is read from the engine (only the newest entry stays in memory).
    const db = engine.db("raft-log");
    const stored = db.get(logKey(1, 1))!;
    engine.writeSync(() => db.put(logKey(1, 1), flip(stored, 2)));
    assert.throws(() => log.entries(logIndex(1), logIndex(4), 1e9), corruption);
    // A corrupted hard state is found when the range is loaded.
    const hardDb = engine.db("raft-hard");
    const [first] = [...hardDb.range({})];
    engine.writeSync(() => hardDb.put(first!.key, flip(first!.value, 0)));
    const reopened = Store.openEngine(engine, {
      create: { clusterId: "c", nodeId: nodeId(1), nowMs: 0 },
    });
    assert.throws(() => reopened.logStorage(rangeId(1)), corruption);
  });

  it("refuses to open a store whose log journal holds a corrupted record", async () => {
    const engine = new MemoryEngine();
    const options = { create: { clusterId: "c", nodeId: nodeId(1), nowMs: 0 } };
    const store = Store.openEngine(engine, options);
    store.bootstrapRange(rangeId(1), CONF);
    const batch = store.newBatch();
    const entry = { index: logIndex(1), term: term(1), type: "normal" as const };
    batch.append(store.logStorage(rangeId(1)), [{ ...entry, data: new Uint8Array([7]) }]);
    await store.commit(batch);
    const journal = engine.db("raft-journal");
    const [record] = [...journal.range({})];
    assert.ok(record !== undefined, "the entry went to the journal");
    // A flipped bit in the header (which range, which index) is caught, not replayed.
    for (const at of [3, 12, record.value.length - 1]) {
      const original = record.value.slice();
      engine.writeSync(() => journal.put(record.key, flip(original, at)));
      assert.throws(() => Store.openEngine(engine, options), corruption, `bit flipped at ${at}`);
      engine.writeSync(() => journal.put(record.key, original));
    }
    const reopened = Store.openEngine(engine, options);
    assert.equal(reopened.logStorage(rangeId(1)).term(logIndex(1)), 1);
  });
});
