/**
 * The randomized in-memory network test: thousands of seeded chaos runs of 3–5
 * nodes with message loss, duplication, reordering, symmetric and one-way
 * partitions, restarts, membership changes, compaction and ReadIndex, each
 * seed choosing its own mix and configuration (swarm testing, testing/swarm.ts).
 * After every step a `SafetyObserver` checks election safety (§5.2), log
 * matching (§5.3), leader completeness (§5.4), state machine safety (§5.4.3)
 * and the durability of what nodes acknowledged; after healing, every member
 * must converge.
 *
 * Seeds 1..1000 run by default. `TESSERA_RAFT_SEEDS=10000` runs more,
 * `TESSERA_RAFT_SEED_FIRST=n` starts elsewhere, and `TESSERA_RAFT_SEED=n` replays
 * one seed (the command is printed with every failure). Seeds that hit a known
 * liveness issue are skipped, each replayed by a skipped test naming it, with
 * the core bugs also reduced to scripts.
 *
 * The last part proves the observer is not vacuous: each deliberate fault,
 * injected through the network or a node's storage, must be caught as the
 * right violation within a bounded number of seeds.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AssertionError, logIndex, nodeId } from "../lib/index.js";
import { MemoryStorage } from "./memory-storage.js";
import { NONE } from "./raft.js";
import { type ChaosOptions, runChaos } from "./testing/chaos.js";
import { bytes, Network } from "./testing/network.js";
import { type Invariant, SafetyViolation } from "./testing/safety-observer.js";
import { swarmRun } from "./testing/swarm.js";

const SEEDS_DEFAULT = 1000;
/** Seeds are reported in this many `it` blocks. */
const GROUPS = 10;
/** Failures listed in full per block; the rest are counted. */
const FAILURES_SHOWN_MAX = 5;
/** A fault that no seed up to here exposes counts as missed. */
const FAULT_SEEDS_MAX = 100;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const v = Number(raw);
  assert.ok(
    Number.isSafeInteger(v) && v >= 0,
    `${name} must be a non-negative integer, got ${raw}`,
  );
  return v;
}

/**
 * Liveness failures the swarm found in seeds 1..10000 (no safety property was
 * ever broken). Their seeds are left out of the swarm blocks and replayed by
 * skipped tests below until fixed. Every one follows a membership change; the
 * two core bugs come from a leader leaving a configuration that, as in
 * etcd-io/raft, takes effect only when applied.
 */
const DISRUPTED =
  "plain Raft limit (thesis §4.2.3), not a core bug: without PreVote or CheckQuorum, a removed node's campaigns raise a learner's term past its leader's, and the learner ignores it";
const STRANDED_WITHOUT_HANDOVER =
  "etcd-compatible mode, not Tessera's: without stepDownOnRemoval a removed leader does not hand over, and when CheckQuorum steps it down with a longer log than the voters left (who have not heard the change committed and still need its vote), no one can be elected; Tessera's ranges run with stepDownOnRemoval, where the leader hands over first";
const KNOWN_LIVENESS_SEEDS: ReadonlyMap<number, string> = new Map([
  [2736, STRANDED_WITHOUT_HANDOVER],
  [3022, DISRUPTED],
  [9929, STRANDED_WITHOUT_HANDOVER],
]);

const replaySeed = process.env.TESSERA_RAFT_SEED ? envInt("TESSERA_RAFT_SEED", 0) : undefined;
const seedCount = envInt("TESSERA_RAFT_SEEDS", SEEDS_DEFAULT);
const seedFirst = envInt("TESSERA_RAFT_SEED_FIRST", 1);

function replayCommand(seed: number): string {
  return `TESSERA_RAFT_SEED=${seed} node --import tsx --test src/raft/random-network.test.ts`;
}

/** Runs one swarm seed; returns a failure report naming the seed, or undefined. */
function runSeed(seed: number): string | undefined {
  const { options, summary } = swarmRun(seed);
  try {
    runChaos(options);
    return undefined;
  } catch (e) {
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return `seed ${seed} failed: ${what}\n    chose: ${summary}\n    replay: ${replayCommand(seed)}`;
  }
}

describe("randomized network (swarm of seeded chaos runs)", () => {
  if (replaySeed !== undefined) {
    const { options, summary } = swarmRun(replaySeed);
    it(`seed ${replaySeed} (${summary}) keeps every safety property and converges`, () => {
      runChaos(options);
    });
    return;
  }
  const perGroup = Math.max(1, Math.ceil(seedCount / GROUPS));
  for (let lo = seedFirst; lo < seedFirst + seedCount; lo += perGroup) {
    const hi = Math.min(lo + perGroup, seedFirst + seedCount) - 1;
    it(`seeds ${lo}–${hi} keep every safety property after every step and converge after healing`, () => {
      const failures: string[] = [];
      for (let seed = lo; seed <= hi; seed++) {
        if (KNOWN_LIVENESS_SEEDS.has(seed)) continue;
        const f = runSeed(seed);
        if (f !== undefined) failures.push(f);
      }
      if (failures.length === 0) return;
      const more = failures.length - FAILURES_SHOWN_MAX;
      const shown = failures.slice(0, FAILURES_SHOWN_MAX).join("\n");
      assert.fail(
        `${failures.length} of ${hi - lo + 1} seeds failed:\n${shown}${more > 0 ? `\n... and ${more} more` : ""}`,
      );
    });
  }
});

describe("liveness issues found by the swarm", () => {
  for (const [seed, bug] of KNOWN_LIVENESS_SEEDS) {
    it(`seed ${seed} converges after healing`, { skip: `known liveness issue, ${bug}` }, () => {
      runChaos(swarmRun(seed).options);
    });
  }

  // Seed 695, as a script. The leader applies its own removal before the last
  // voter has heard that the removal committed, and with an entry the voter
  // lacks. Had it stepped down at once, the voter, still counting it as a
  // voter, would wait forever for a vote it refuses (§5.4.1: its log is
  // longer). It keeps leading until the voter holds its whole log, then hands
  // leadership over.
  it("a leader removed by its own change hands over, so the remaining voter is elected (thesis §4.2.2)", () => {
    const nt = new Network({ ids: [1, 2], config: { stepDownOnRemoval: true } });
    nt.campaign(1);
    nt.raw(1).proposeConfChange({
      transition: "auto",
      changes: [{ type: "remove-node", nodeId: nodeId(1) }],
    });
    nt.collect();
    while (nt.inflight.length > 0) nt.deliverOne(0);
    // 1 appends one more entry, which 2 never receives; 2's ack of the removal arrives.
    nt.raw(1).propose(bytes("x"));
    nt.collect();
    nt.dropOne(nt.inflight.findIndex((m) => m.type === "MsgApp"));
    nt.deliverOne(0);
    // 1 commits and applies the removal; the news that it committed is lost.
    // It keeps leading until 2 holds its whole log, then hands over.
    nt.collect();
    nt.dropAll();
    nt.tick(200);
    assert.equal(nt.leader(), 2);
  });

  // Seed 4270, as a script. With async writes the leader's own ack of x lags;
  // 2's ack of x arrives first (no quorum yet: 1 still counts), then 1 applies
  // its removal. The new configuration {2} already holds x on a quorum, but a
  // removed leader's switch of configuration skips the commit check and no
  // later ack moves 2's match, so x never commits (and proposals are refused).
  it("a removed leader that keeps leading commits what the new configuration's quorum holds", () => {
    const nt = new Network({ ids: [1, 2], config: { asyncStorageWrites: true } });
    nt.campaign(1);
    const one = nt.node(1);
    one.deferStorage = true;
    const exchange = () => {
      for (let i = 0; i < 10; i++) {
        nt.collect();
        while (nt.inflight.length > 0) nt.deliverOne(0);
      }
    };
    nt.raw(1).proposeConfChange({
      transition: "auto",
      changes: [{ type: "remove-node", nodeId: nodeId(1) }],
    });
    nt.collect();
    for (const m of one.flushStorage()) nt.enqueue(m);
    exchange(); // the removal commits; its apply waits in 1's storage queue
    nt.raw(1).propose(bytes("x"));
    exchange(); // 2 acks x; 1 has not persisted it yet
    for (const m of one.flushStorage()) nt.enqueue(m); // apply the removal, then persist x
    one.deferStorage = false;
    nt.tick(50);
    assert.equal(nt.raw(1).raft.state, "leader");
    assert.equal(nt.raw(1).raft.raftLog.committed, 3);
  });
});

// --- fault injection --------------------------------------------------------

/** A small, election-heavy cluster with frequent restarts and partitions. */
function stress(seed: number, nodes: number): ChaosOptions {
  return {
    seed,
    nodes,
    steps: 600,
    restartPerMille: 40,
    mix: { tick: 300, propose: nodes > 3 ? 200 : 100, isolate: 30, partition: 30 },
    config: { electionTick: 4, heartbeatTick: 1 },
  };
}

/** Restarts a node whose storage lost its vote (a hard state written without it). */
function forgetVote(nt: Network, id: number): void {
  const n = nt.node(id);
  n.storage.setHardState({ ...n.storage.getHardState(), vote: NONE });
  n.restart();
}

/** Restarts a node whose storage lost its last entry (a write acknowledged before it was synced). */
function loseLastEntry(nt: Network, id: number): void {
  const old = nt.node(id).storage;
  const s = new MemoryStorage();
  const snap = old.snapshot();
  if (snap.metadata.index > 0) s.applySnapshot(snap);
  else s.bootstrap(snap.metadata.confState);
  const first = old.firstIndex();
  const last = old.lastIndex();
  if (last > first) s.append(old.entries(first, last, Number.MAX_SAFE_INTEGER));
  const hs = old.getHardState();
  s.setHardState({ ...hs, commit: logIndex(Math.min(hs.commit, s.lastIndex())) });
  nt.replaceNode(id, s);
}

/** A leader that tells followers its commit index without regard to what they match. */
function commitBeyondMatch(nt: Network): void {
  nt.tamper = (m) => {
    if (m.type !== "MsgHeartbeat") return m;
    const committed = nt.nodes.get(m.from)?.node.raft.raftLog.committed ?? m.commit;
    // Clamped to the follower's log so the core's own range check stays quiet.
    const last = nt.node(m.to).node.raft.raftLog.lastIndex();
    return { ...m, commit: logIndex(Math.max(m.commit, Math.min(committed, last))) };
  };
}

/** Followers that acknowledge two entries more than they matched. */
function ackBeyondMatch(nt: Network): void {
  nt.tamper = (m) => {
    if (m.type !== "MsgAppResp" || m.reject) return m;
    const last = nt.node(m.to).node.raft.raftLog.lastIndex();
    return { ...m, index: logIndex(Math.min(last, m.index + 2)) };
  };
}

/** A link to node 2 that corrupts entry payloads. */
function corruptPayloads(nt: Network): void {
  const junk = new TextEncoder().encode("junk");
  nt.tamper = (m) => {
    if (m.type !== "MsgApp" || m.to !== 2 || m.entries.length === 0) return m;
    return { ...m, entries: m.entries.map((e) => ({ ...e, data: junk })) };
  };
}

/** Followers that skip the §5.3 consistency check (append whatever follows any prefix). */
function skipConsistencyCheck(nt: Network): void {
  nt.tamper = (m) => {
    if (m.type !== "MsgApp") return m;
    const t = nt.node(m.to).node.raft.raftLog.termOrUndefined(m.index);
    return t !== undefined && t !== m.logTerm ? { ...m, logTerm: t } : m;
  };
}

interface Fault {
  readonly name: string;
  readonly expect: readonly Invariant[];
  readonly nodes: number;
  readonly inject: Partial<ChaosOptions>;
}

const FAULTS: readonly Fault[] = [
  {
    name: "a node that forgets its vote on restart",
    expect: ["durability"],
    nodes: 3,
    inject: { restart: forgetVote },
  },
  {
    name: "a node that forgets its vote on restart, with the durability check off",
    expect: ["election-safety"],
    nodes: 5,
    inject: { restart: forgetVote, observer: { skip: ["durability"] } },
  },
  {
    name: "a node that loses its last acknowledged entry on restart",
    expect: ["durability"],
    nodes: 3,
    inject: { restart: loseLastEntry },
  },
  {
    name: "a heartbeat that raises a follower's commit beyond its match",
    expect: ["state-machine-safety"],
    nodes: 3,
    inject: { setup: commitBeyondMatch },
  },
  {
    name: "append acknowledgements beyond the follower's match",
    expect: ["leader-completeness"],
    nodes: 3,
    inject: { setup: ackBeyondMatch },
  },
  {
    name: "a link that corrupts entry payloads",
    expect: ["log-matching"],
    nodes: 3,
    inject: { setup: corruptPayloads },
  },
  {
    name: "followers that skip the append consistency check",
    expect: ["log-matching", "state-machine-safety"],
    nodes: 3,
    inject: { setup: skipConsistencyCheck },
  },
];

describe("the safety observer catches injected faults", { skip: replaySeed !== undefined }, () => {
  for (const f of FAULTS) {
    it(`catches ${f.name} as ${f.expect.join(" or ")} within ${FAULT_SEEDS_MAX} seeds`, () => {
      for (let seed = 1; seed <= FAULT_SEEDS_MAX; seed++) {
        try {
          runChaos({ ...stress(seed, f.nodes), ...f.inject });
        } catch (e) {
          if (e instanceof SafetyViolation) {
            assert.ok(f.expect.includes(e.invariant), `seed ${seed}: ${e.message}`);
            return;
          }
          // The core's own assertions may notice the damage first; only the observer counts here.
          if (!(e instanceof AssertionError)) throw e;
        }
      }
      assert.fail(`no seed up to ${FAULT_SEEDS_MAX} exposed ${f.name}`);
    });
  }
});
