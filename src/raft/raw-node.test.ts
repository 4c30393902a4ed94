import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AssertionError, isTesseraError, nodeId, SeededRng } from "../lib/index.js";
import { encodeConfChange } from "./conf-change-codec.js";
import type { MemoryStorage } from "./memory-storage.js";
import { RawNode, type Ready } from "./raw-node.js";
import { bytes, Network, testConfig } from "./testing/network.js";
import { newTestStorage } from "./testing/raft-harness.js";
import type { Message } from "./types.js";
import {
  describeConfChange,
  describeEntries,
  describeHardState,
  describeMessage,
  describeReady,
  describeSnapshot,
} from "./util.js";

function single(): RawNode & { storage: MemoryStorage } {
  const storage = newTestStorage({ peers: [1] });
  const n = new RawNode(testConfig(nodeId(1), new SeededRng(1)), storage) as RawNode & {
    storage: MemoryStorage;
  };
  n.storage = storage;
  return n;
}

/** Persists a Ready as the contract requires, then advances. */
function persistAndAdvance(n: RawNode & { storage: MemoryStorage }, rd: Ready): void {
  n.storage.append(rd.entries);
  if (rd.hardState) n.storage.setHardState(rd.hardState);
  n.advance(rd);
}

describe("RawNode", () => {
  it("refuses a bad config with INVALID_ARGUMENT", () => {
    assert.throws(
      () =>
        new RawNode(
          { ...testConfig(nodeId(1), new SeededRng(1)), electionTick: 1 },
          newTestStorage(),
        ),
      (e) => isTesseraError(e, "INVALID_ARGUMENT"),
    );
  });

  it("hands out state changes, entries and committed entries in Readies, then has none", () => {
    const n = single();
    assert.equal(n.hasReady(), false);
    n.campaign();
    assert.ok(n.hasReady());
    // The self-vote counts only once the vote is durable: candidate first.
    const rd = n.ready();
    assert.equal(rd.softState?.raftState, "candidate");
    assert.deepEqual(rd.hardState, { term: 1, vote: 1, commit: 0 });
    assert.ok(rd.mustSync);
    persistAndAdvance(n, rd);
    const rd2 = n.ready();
    assert.equal(rd2.softState?.raftState, "leader");
    assert.equal(rd2.entries.length, 1);
    assert.equal(rd2.committedEntries.length, 0);
    persistAndAdvance(n, rd2);
    // The leader's self-ack after persistence commits the entry; it is applied next.
    const rd3 = n.ready();
    assert.equal(rd3.hardState?.commit, 1);
    assert.equal(rd3.committedEntries.length, 1);
    assert.equal(rd3.softState, undefined);
    assert.equal(rd3.mustSync, false);
    persistAndAdvance(n, rd3);
    assert.equal(n.hasReady(), false);
    assert.equal(n.status().applied, 1);
  });

  it("hands each Ready its own messages and read states: later ones never show up in it", () => {
    const n = single();
    n.campaign();
    persistAndAdvance(n, n.ready());
    persistAndAdvance(n, n.ready());
    persistAndAdvance(n, n.ready());
    // A Ready without read states, kept while Raft produces more.
    n.propose(bytes("x"));
    const held = n.ready();
    assert.equal(held.readStates.length, 0);
    const heldMessages = held.messages.length;
    persistAndAdvance(n, held);
    n.readIndex(bytes("ctx"), { mode: "safe" });
    const next = n.ready();
    assert.equal(next.readStates.length, 1);
    assert.equal(held.readStates.length, 0);
    assert.equal(held.messages.length, heldMessages);
    persistAndAdvance(n, next);
    n.readIndex(bytes("ctx2"), { mode: "safe" });
    const last = n.ready();
    assert.deepEqual(
      next.readStates.map((r) => new TextDecoder().decode(r.requestCtx)),
      ["ctx"],
      "a Ready's read states stay its own",
    );
    assert.equal(last.readStates.length, 1);
  });

  it("refuses a second ready() before advance()", () => {
    const n = single();
    n.campaign();
    n.ready();
    assert.throws(() => n.ready(), AssertionError);
  });

  it("reports status with progress on the leader", () => {
    const nt = new Network(3);
    nt.campaign(1);
    const st = nt.raw(1).status();
    assert.equal(st.softState.raftState, "leader");
    assert.deepEqual([...st.progress.keys()], [1, 2, 3]);
    assert.equal(st.progress.get(nodeId(2))!.state, "replicate");
    assert.deepEqual(st.config.voters, [1, 2, 3]);
    assert.equal(nt.raw(2).status().progress.size, 0);
  });

  it("forwards proposals from followers to the leader unless disabled", () => {
    const nt = new Network(3);
    nt.campaign(1);
    assert.equal(nt.propose(2, "fwd"), undefined);
    assert.deepEqual(nt.node(1).state, ["fwd"]);
    const off = new Network({ ids: [1, 2, 3], config: { disableProposalForwarding: true } });
    off.campaign(1);
    assert.equal(off.propose(2, "x"), "PROPOSAL_DROPPED");
  });

  it("drops proposals when there is no leader, and at a candidate", () => {
    const nt = new Network(3);
    assert.equal(nt.propose(1, "x"), "PROPOSAL_DROPPED");
    nt.isolate(1);
    nt.campaign(1);
    assert.equal(nt.propose(1, "x"), "PROPOSAL_DROPPED");
  });

  it("ignores responses from unknown peers", () => {
    const nt = new Network(3);
    nt.campaign(1);
    const m: Message = {
      type: "MsgHeartbeatResp",
      from: nodeId(9),
      to: nodeId(1),
      term: 1 as never,
    };
    nt.raw(1).step(m);
    assert.equal(nt.raw(1).hasReady(), false);
  });

  it("reports an unreachable follower and a failed snapshot", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.raw(1).reportUnreachable(nodeId(2));
    assert.equal(nt.raw(1).status().progress.get(nodeId(2))!.state, "probe");
    nt.raw(1).reportSnapshot(nodeId(2), "failure");
    assert.equal(nt.raw(1).status().progress.get(nodeId(2))!.state, "probe");
  });

  it("describes messages, entries, states and readies for humans", () => {
    const nt = new Network(3);
    nt.campaign(1);
    nt.raw(1).propose(bytes("hello"));
    nt.raw(1).proposeConfChange({
      transition: "joint-explicit",
      changes: [{ type: "add-learner", nodeId: nodeId(4) }],
    });
    const rd = nt.raw(1).ready();
    const text = describeReady(rd);
    assert.match(text, /EntryNormal "hello"/);
    assert.match(text, /EntryConfChange l4 joint-explicit/);
    assert.match(text, /1->2 MsgApp Term:1 Log:1\/1 Commit:1/);
    nt.raw(1).advance(rd);
    assert.equal(
      describeHardState({ term: 1 as never, vote: nodeId(1), commit: 2 as never }),
      "Term:1 Vote:1 Commit:2",
    );
    assert.equal(
      describeConfChange({
        transition: "auto",
        changes: [
          { type: "remove-node", nodeId: nodeId(3) },
          { type: "add-node", nodeId: nodeId(4) },
        ],
      }),
      "r3 v4",
    );
    assert.match(
      describeEntries([
        { term: 1 as never, index: 1 as never, type: "normal", data: new Uint8Array([0, 1]) },
      ]),
      /0x0001/,
    );
    assert.match(
      describeEntries([
        { term: 1 as never, index: 1 as never, type: "conf-change", data: bytes("junk") },
      ]),
      /"junk"/,
    );
    nt.node(1).compact();
    assert.match(describeSnapshot(nt.node(1).storage.snapshot()), /Voters:\[1 2 3\]/);
    const samples: Message[] = [
      {
        type: "MsgAppResp",
        from: nodeId(2),
        to: nodeId(1),
        term: 1 as never,
        index: 5 as never,
        reject: true,
        rejectHint: 3 as never,
        logTerm: 1 as never,
      },
      {
        type: "MsgVote",
        from: nodeId(2),
        to: nodeId(1),
        term: 2 as never,
        index: 5 as never,
        logTerm: 1 as never,
        transfer: true,
      },
      { type: "MsgVoteResp", from: nodeId(2), to: nodeId(1), term: 2 as never, reject: true },
      {
        type: "MsgHeartbeat",
        from: nodeId(1),
        to: nodeId(2),
        term: 2 as never,
        commit: 1 as never,
        context: bytes("c"),
      },
      {
        type: "MsgHeartbeatResp",
        from: nodeId(2),
        to: nodeId(1),
        term: 2 as never,
        context: bytes("c"),
      },
      {
        type: "MsgReadIndex",
        from: nodeId(2),
        to: nodeId(1),
        term: 0 as never,
        context: bytes("r"),
      },
      {
        type: "MsgReadIndexResp",
        from: nodeId(1),
        to: nodeId(2),
        term: 2 as never,
        index: 4 as never,
        context: bytes("r"),
      },
      {
        type: "MsgSnap",
        from: nodeId(1),
        to: nodeId(2),
        term: 2 as never,
        snapshot: nt.node(1).storage.snapshot(),
      },
      {
        type: "MsgProp",
        from: nodeId(2),
        to: nodeId(1),
        term: 0 as never,
        entries: [
          {
            term: 0 as never,
            index: 0 as never,
            type: "conf-change",
            data: encodeConfChange({ transition: "auto", changes: [] }),
          },
        ],
      },
      {
        type: "MsgStorageAppendResp",
        from: Number.MAX_SAFE_INTEGER as never,
        to: nodeId(1),
        term: 2 as never,
        index: 3 as never,
        logTerm: 2 as never,
        snapshot: nt.node(1).storage.snapshot(),
      },
      {
        type: "MsgStorageApplyResp",
        from: (Number.MAX_SAFE_INTEGER - 1) as never,
        to: nodeId(1),
        term: 0 as never,
        entries: [],
      },
      { type: "MsgTimeoutNow", from: nodeId(1), to: nodeId(2), term: 2 as never },
    ];
    const lines = samples.map(describeMessage);
    assert.equal(lines[0], "2->1 MsgAppResp Term:1 Log:1/5 Rejected (Hint: 3)");
    assert.equal(lines[1], "2->1 MsgVote Term:2 Log:1/5 Transfer");
    assert.match(lines[9]!, /^AppendThread->1/);
    assert.match(lines[10]!, /^ApplyThread->1/);
  });

  it("describes async storage messages with their responses", () => {
    const nt = new Network({ ids: [1, 2, 3], config: { asyncStorageWrites: true } });
    nt.campaign(1);
    nt.raw(1).propose(bytes("a"));
    const rd = nt.raw(1).ready();
    const text = describeReady(rd);
    assert.match(text, /MsgStorageAppend/);
    assert.match(text, /Response: 1->1 MsgAppResp/);
  });
});
