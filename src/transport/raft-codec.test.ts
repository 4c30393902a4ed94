import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  isTesseraError,
  type LogIndex,
  type NodeId,
  type RangeId,
  type Term,
} from "../lib/index.js";
import type { ConfState, Entry, Message, Snapshot } from "../raft/index.js";
import { decodeRaftGroups, encodeRaftGroup, MESSAGE_TYPES } from "./raft-codec.js";

/** Records with an ordinary prototype, like the objects the codec builds. */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const u64 = fc.oneof(fc.nat({ max: 1000 }), fc.maxSafeNat());
const id = fc.nat({ max: 1_000_000 });
const bytes = fc.uint8Array({ maxLength: 64 });
const nodes = fc.array(id, { maxLength: 5 }) as fc.Arbitrary<NodeId[]>;

const entry: fc.Arbitrary<Entry> = rec({
  term: u64 as fc.Arbitrary<Term>,
  index: u64 as fc.Arbitrary<LogIndex>,
  type: fc.constantFrom("normal" as const, "conf-change" as const),
  data: bytes,
});
const entries = fc.array(entry, { maxLength: 4 });
const confState: fc.Arbitrary<ConfState> = rec({
  voters: nodes,
  learners: nodes,
  votersOutgoing: nodes,
  learnersNext: nodes,
  autoLeave: fc.boolean(),
});
const snapshot: fc.Arbitrary<Snapshot> = rec({
  data: bytes,
  metadata: rec({
    confState,
    index: u64 as fc.Arbitrary<LogIndex>,
    term: u64 as fc.Arbitrary<Term>,
  }),
});
const base = rec({
  from: id as fc.Arbitrary<NodeId>,
  to: id as fc.Arbitrary<NodeId>,
  term: u64 as fc.Arbitrary<Term>,
});

/** An optional field: absent (no key at all) or present. */
function opt<K extends string, T>(
  key: K,
  arb: fc.Arbitrary<T>,
): fc.Arbitrary<Partial<Record<K, T>>> {
  return fc
    .option(arb, { nil: undefined })
    .map((v) => (v === undefined ? {} : ({ [key]: v } as Record<K, T>)));
}

function of<T extends Message["type"]>(
  type: T,
  fields: fc.Arbitrary<object>,
): fc.Arbitrary<Message> {
  return fc.tuple(base, fields).map(([b, f]) => ({ type, ...b, ...f }) as Message);
}

const { message } = fc.letrec<{ message: Message }>((tie) => {
  const responses = fc.array(tie("message"), { maxLength: 2 });
  const idx = u64 as fc.Arbitrary<LogIndex>;
  const trm = u64 as fc.Arbitrary<Term>;
  return {
    message: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      ...(
        ["MsgHup", "MsgBeat", "MsgCheckQuorum", "MsgUnreachable", "MsgTransferLeader"] as const
      ).map((t) => of(t, fc.constant({}))),
      ...(["MsgTimeoutNow", "MsgForgetLeader"] as const).map((t) => of(t, fc.constant({}))),
      of("MsgProp", rec({ entries })),
      of("MsgApp", rec({ logTerm: trm, index: idx, entries, commit: idx })),
      of("MsgAppResp", rec({ index: idx, reject: fc.boolean(), rejectHint: idx, logTerm: trm })),
      of("MsgVote", rec({ index: idx, logTerm: trm, transfer: fc.boolean() })),
      of("MsgPreVote", rec({ index: idx, logTerm: trm, transfer: fc.boolean() })),
      of("MsgVoteResp", rec({ reject: fc.boolean() })),
      of("MsgPreVoteResp", rec({ reject: fc.boolean() })),
      of("MsgSnapStatus", rec({ reject: fc.boolean() })),
      of("MsgSnap", rec({ snapshot })),
      of(
        "MsgHeartbeat",
        fc
          .tuple(idx, opt("context", bytes), opt("quiesce", fc.constant(true)))
          .map(([commit, c, q]) => ({ commit, ...c, ...q })),
      ),
      of("MsgHeartbeatResp", opt("context", bytes)),
      of("MsgReadIndex", rec({ context: bytes })),
      of("MsgReadIndexResp", rec({ index: idx, context: bytes })),
      of(
        "MsgStorageAppend",
        fc
          .tuple(
            entries,
            opt("hardState", rec({ term: trm, vote: id as fc.Arbitrary<NodeId>, commit: idx })),
            opt("snapshot", snapshot),
            responses,
          )
          .map(([e, hs, s, r]) => ({ entries: e, ...hs, ...s, responses: r })),
      ),
      of(
        "MsgStorageAppendResp",
        fc
          .tuple(idx, trm, opt("snapshot", snapshot))
          .map(([index, logTerm, s]) => ({ index, logTerm, ...s })),
      ),
      of("MsgStorageApply", rec({ entries, responses })),
      of("MsgStorageApplyResp", rec({ entries })),
    ),
  };
});

describe("raft codec", () => {
  it("round-trips random messages of every type", () => {
    fc.assert(
      fc.property(
        fc.nat() as fc.Arbitrary<RangeId>,
        fc.array(message, { maxLength: 6 }),
        (r, ms) => {
          const groups = decodeRaftGroups(encodeRaftGroup(r, ms));
          assert.deepStrictEqual(groups, [{ rangeId: r, messages: ms }]);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("has a generator that covers every message type", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(message, (m) => {
        seen.add(m.type);
      }),
      { numRuns: 3000 },
    );
    assert.deepEqual([...seen].sort(), [...MESSAGE_TYPES].sort());
  });

  it("decodes consecutive groups of one frame in order", () => {
    const hb = (to: number): Message => ({
      type: "MsgHeartbeat",
      from: 1 as NodeId,
      to: to as NodeId,
      term: 3 as Term,
      commit: 9 as LogIndex,
    });
    const payload = Buffer.concat([
      encodeRaftGroup(5 as RangeId, [hb(2)]),
      encodeRaftGroup(6 as RangeId, [hb(3), hb(4)]),
    ]);
    const groups = decodeRaftGroups(payload);
    assert.deepEqual(
      groups.map((g) => [g.rangeId, g.messages.map((m) => m.to)]),
      [
        [5, [2]],
        [6, [3, 4]],
      ],
    );
  });

  it("encodes a heartbeat without the quiesce mark exactly as before the mark existed", () => {
    const hb = {
      type: "MsgHeartbeat",
      from: 1 as NodeId,
      to: 2 as NodeId,
      term: 3 as Term,
      commit: 9 as LogIndex,
    } as const;
    const tag = MESSAGE_TYPES.indexOf("MsgHeartbeat");
    // rangeId | count | type | from | to | term | commit | presence byte [| context]
    assert.deepEqual([...encodeRaftGroup(5 as RangeId, [hb])], [5, 1, tag, 1, 2, 3, 9, 0]);
    const ctx = { ...hb, context: Uint8Array.of(7) };
    assert.deepEqual([...encodeRaftGroup(5 as RangeId, [ctx])], [5, 1, tag, 1, 2, 3, 9, 1, 1, 7]);
    const quiesce = { ...hb, quiesce: true } as const;
    assert.deepEqual([...encodeRaftGroup(5 as RangeId, [quiesce])], [5, 1, tag, 1, 2, 3, 9, 2]);
    assert.deepEqual(decodeRaftGroups(Buffer.from([5, 1, tag, 1, 2, 3, 9, 2]))[0]?.messages, [
      quiesce,
    ]);
    assert.throws(
      () => decodeRaftGroups(Buffer.from([5, 1, tag, 1, 2, 3, 9, 4])),
      (e) => isTesseraError(e, "PROTOCOL"),
    );
  });

  it("decodes entry data as a Uint8Array view of the frame, not a copy", () => {
    const data = new Uint8Array([1, 2, 3, 4]);
    const msg: Message = {
      type: "MsgApp",
      from: 1 as NodeId,
      to: 2 as NodeId,
      term: 1 as Term,
      logTerm: 1 as Term,
      index: 0 as LogIndex,
      commit: 0 as LogIndex,
      entries: [{ term: 1 as Term, index: 1 as LogIndex, type: "normal", data }],
    };
    const payload = encodeRaftGroup(1 as RangeId, [msg]);
    const got = decodeRaftGroups(payload)[0]?.messages[0];
    assert.equal(got?.type, "MsgApp");
    if (got?.type !== "MsgApp") return;
    const d = got.entries[0]?.data as Uint8Array;
    assert.equal(Object.getPrototypeOf(d), Uint8Array.prototype);
    assert.equal(d.buffer, payload.buffer);
    assert.deepEqual([...d], [1, 2, 3, 4]);
  });

  it("rejects truncated or random bytes with PROTOCOL and nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), (garbage) => {
        try {
          decodeRaftGroups(garbage);
        } catch (e) {
          assert.ok(isTesseraError(e, "PROTOCOL"), String(e));
        }
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 3 }), fc.nat(), (ms, cut) => {
        const payload = encodeRaftGroup(1 as RangeId, ms);
        const truncated = payload.subarray(0, cut % payload.length);
        if (truncated.length === 0) return;
        assert.throws(
          () => decodeRaftGroups(truncated),
          (e) => isTesseraError(e, "PROTOCOL"),
        );
      }),
      { numRuns: 1000 },
    );
  });
});
