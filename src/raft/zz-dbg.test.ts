import { runChaos } from "./testing/chaos.js";
import { swarmRun } from "./testing/swarm.js";
import { describeConfState, describeEntry } from "./util.js";
for (const seed of (process.env.S ?? "2736").split(",").map(Number)) {
const { options } = swarmRun(seed);
let nt: any;
try { runChaos({ ...options, setup: (x) => { nt = x; } }); console.log(seed, "ok"); } catch (e) {
  console.log("==", seed, String(e).slice(0, 120));
  for (const n of nt.nodes.values()) {
    const r = n.node.raft;
    console.log(n.id, r.state, "term", r.term, "lead", r.lead, "vote", r.vote, "commit", r.raftLog.committed, "applied", n.appliedIndex, "first", r.raftLog.firstIndex(), "last", r.raftLog.lastIndex(), "lastTerm", r.raftLog.lastTerm(), "cs", describeConfState(n.confState), "learner", r.isLearner, "pendingConf", r.pendingConfIndex);
    const ents = r.raftLog.allEntries();
    console.log("    tail:", ents.slice(-4).map(describeEntry).join(" | "));
  }
}
}
if (process.env.P) {
  const { options } = swarmRun(Number(process.env.P));
  let nt: any;
  try { runChaos({ ...options, setup: (x) => { nt = x; } }); } catch {}
  for (const n of nt.nodes.values()) {
    const r = n.node.raft;
    console.log(n.id, r.state, "unstable", r.raftLog.unstable.offset, r.raftLog.unstable.entries.length, "stor last", n.storage.lastIndex(), "hs", JSON.stringify(n.storage.getHardState()), "pending", n.pendingStorage.length, "defer", n.deferStorage);
    for (const [id, pr] of r.trk.progress) console.log("   pr", id, pr.toString ? pr.toString() : JSON.stringify(pr));
    console.log("   status", JSON.stringify(n.node.status(), (k, v) => v instanceof Map ? Object.fromEntries(v) : v).slice(0, 500));
  }
  console.log("inflight", nt.inflight.length);
}
