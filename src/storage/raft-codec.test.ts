import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTesseraError, logIndex, nodeId, rangeId, term } from "../lib/index.js";
import type { Entry } from "../raft/types.js";
import { crc32c } from "./crc32c.js";
import {
  decodeAppliedState,
  decodeEntry,
  decodeHardState,
  decodeJournalRecord,
  encodeAppliedState,
  encodedEntryBytes,
  encodeEntry,
  encodeHardState,
  journalRecordOf,
  logKey,
  logKeyIndex,
} from "./raft-codec.js";

describe("raft codec", () => {
  it("orders log keys by range, then by index", () => {
    const keys = [
      logKey(1, 2 ** 40),
      logKey(2, 0),
      logKey(1, 1),
      logKey(1, 256),
      logKey(2 ** 33, 5),
    ];
    const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(sorted, [keys[2], keys[3], keys[0], keys[1], keys[4]]);
    assert.equal(logKeyIndex(logKey(7, 2 ** 50 + 3)), 2 ** 50 + 3);
  });

  it("round-trips entries, hard state and applied state", () => {
    const e = {
      index: logIndex(9),
      term: term(3),
      type: "conf-change" as const,
      data: new Uint8Array([1, 2, 3]),
    };
    assert.deepEqual(decodeEntry(logIndex(9), encodeEntry(e)), e);
    const hs = { term: term(5), vote: nodeId(2), commit: logIndex(2 ** 45) };
    assert.deepEqual(decodeHardState(encodeHardState(hs)), hs);
    const as = {
      index: logIndex(4),
      term: term(2),
      confState: {
        voters: [nodeId(1)],
        learners: [],
        votersOutgoing: [],
        learnersNext: [],
        autoLeave: false,
      },
    };
    assert.deepEqual(decodeAppliedState(encodeAppliedState(as)), as);
  });

  it("lays an entry out as type | term | data | CRC-32C of the rest", () => {
    const e: Entry = {
      index: logIndex(1),
      term: term(2 ** 32 + 3),
      type: "normal",
      data: new Uint8Array([7, 8]),
    };
    const body = [0, 0, 0, 0, 1, 0, 0, 0, 3, 7, 8];
    const crc = crc32c(new Uint8Array(body));
    const expected = [...body, crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff];
    assert.deepEqual([...encodeEntry(e)], expected);
    assert.equal(encodedEntryBytes(e), expected.length);
  });

  it("makes a journal record that holds the entry as stored, under a checksum of its own", () => {
    for (const size of [0, 3, 100, 1000]) {
      const e: Entry = {
        index: logIndex(2 ** 40 + size),
        term: term(7),
        type: size === 3 ? "conf-change" : "normal",
        data: Uint8Array.from({ length: size }, (_, i) => (i * 31) & 0xff),
      };
      const { record, entry } = journalRecordOf(rangeId(2 ** 35), e);
      assert.deepEqual([...entry], [...encodeEntry(e)]);
      const back = decodeJournalRecord(record);
      assert.equal(back.range, 2 ** 35);
      assert.equal(back.index, e.index);
      assert.deepEqual([...back.entry], [...entry]);
      // A plain copy: it must outlive the bytes it was read from.
      assert.equal(Object.getPrototypeOf(back.entry), Uint8Array.prototype);
      assert.deepEqual(decodeEntry(e.index, back.entry), e);
      for (const at of [0, 9, 16, record.byteLength - 1]) {
        const bad = Uint8Array.from(record);
        bad[at]! ^= 0x10;
        assert.throws(
          () => decodeJournalRecord(bad),
          (err) => isTesseraError(err, "CORRUPTION"),
        );
      }
    }
  });

  it("reports corrupt bytes as CORRUPTION", () => {
    assert.throws(
      () => decodeHardState(new Uint8Array(3)),
      (e) => isTesseraError(e, "CORRUPTION"),
    );
    assert.throws(
      () => decodeEntry(logIndex(1), new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0, 0])),
      (e) => isTesseraError(e, "CORRUPTION"),
    );
  });
});
