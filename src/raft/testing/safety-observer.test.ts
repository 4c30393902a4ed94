/**
 * The safety observer on hand-made histories: quiet on a healthy cluster, and
 * each property's check fires on the smallest history that breaks it (§5.2
 * election safety, §5.4 leader completeness, §5.4.3 state machine safety, and
 * the durability of votes and append acknowledgements).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { logIndex, term } from "../../lib/index.js";
import { bytes, Network } from "./network.js";
import { type Invariant, SafetyObserver, SafetyViolation } from "./safety-observer.js";

function violates(invariant: Invariant): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof SafetyViolation, String(e));
    assert.equal(e.invariant, invariant, e.message);
    return true;
  };
}

/** Makes node `id` leader of its next term without an election (a forged win). */
function seize(nt: Network, id: number): void {
  const r = nt.raw(id).raft;
  r.becomeCandidate();
  r.becomeLeader();
}

describe("safety observer", () => {
  it("stays quiet on a healthy cluster and records elections and commits", () => {
    const nt = new Network(3);
    const obs = new SafetyObserver(nt);
    nt.campaign(1);
    nt.propose(1, "a");
    obs.check();
    nt.node(2).restart();
    nt.tick(3);
    obs.check();
    assert.equal(obs.leaderOfTerm.get(term(1)), 1);
    assert.equal(obs.committedMax(), 2);
    assert.equal(obs.committed[1]?.term, 1);
  });

  it("flags a second node winning a term (§5.2)", () => {
    const nt = new Network(3);
    new SafetyObserver(nt);
    nt.campaign(1);
    nt.raw(2).raft.term = term(0);
    assert.throws(() => seize(nt, 2), violates("election-safety"));
  });

  it("flags a node winning a term again after a restart (§5.2)", () => {
    const nt = new Network(3);
    new SafetyObserver(nt);
    nt.campaign(1);
    nt.node(1).restart();
    nt.raw(1).raft.term = term(0);
    assert.throws(() => seize(nt, 1), violates("election-safety"));
  });

  it("ignores the properties it is told to skip", () => {
    const nt = new Network(3);
    new SafetyObserver(nt, { skip: ["election-safety"] });
    nt.campaign(1);
    nt.raw(2).raft.term = term(0);
    seize(nt, 2);
  });

  it("flags a vote sent before it is persisted", () => {
    const nt = new Network(3);
    new SafetyObserver(nt);
    nt.raw(1).campaign();
    nt.collect();
    nt.deliverOne(nt.inflight.findIndex((m) => m.to === 2));
    const rd = nt.raw(2).ready();
    assert.throws(() => {
      for (const m of rd.messages) nt.enqueue(m);
    }, violates("durability"));
  });

  it("flags an append acknowledged before it is persisted", () => {
    const nt = new Network(3);
    new SafetyObserver(nt);
    nt.campaign(1);
    nt.raw(1).propose(bytes("a"));
    nt.collect();
    nt.deliverOne(nt.inflight.findIndex((m) => m.type === "MsgApp" && m.to === 2));
    const rd = nt.raw(2).ready();
    assert.throws(() => {
      for (const m of rd.messages) nt.enqueue(m);
    }, violates("durability"));
  });

  it("flags a leader that lacks an entry committed before its term (§5.4)", () => {
    const nt = new Network(3);
    const obs = new SafetyObserver(nt);
    nt.campaign(1);
    nt.isolate(3);
    nt.propose(1, "a");
    obs.check();
    assert.throws(() => seize(nt, 3), violates("leader-completeness"));
  });

  it("flags an applied entry that differs from the committed one (§5.4.3)", () => {
    const nt = new Network(3);
    const obs = new SafetyObserver(nt);
    nt.campaign(1);
    nt.propose(1, "a");
    obs.check();
    nt.node(3).appliedEntries.push({
      term: term(1),
      index: logIndex(2),
      type: "normal",
      data: bytes("b"),
    });
    assert.throws(() => obs.check(), violates("state-machine-safety"));
  });
});
