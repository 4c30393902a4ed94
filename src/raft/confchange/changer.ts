/**
 * Computes the configuration (and progress map) that results from applying a
 * configuration change to the current one, without touching the original
 * (etcd-io/raft confchange/confchange.go; paper §6 joint consensus, and the
 * single-server changes of the thesis §4.1).
 *
 * - `simple` changes at most one voter and needs no joint state;
 * - `enterJoint` moves to C_old,new, keeping the old voters as the outgoing half;
 * - `leaveJoint` moves from C_old,new to C_new.
 *
 * A change that would break an invariant (two voters in one simple step, a
 * zero-voter configuration, entering a joint state twice, …) is refused with
 * `INVALID_ARGUMENT`. The result always satisfies the tracker invariants, which
 * are asserted: voters ∩ learners = ∅, every member has a progress,
 * learnersNext ⊆ outgoing voters, and no joint leftovers outside a joint state.
 */
import { assert, type LogIndex, logIndex, type NodeId, TesseraError } from "../../lib/index.js";
import { JointConfig } from "../quorum/joint-config.js";
import { MajorityConfig } from "../quorum/majority-config.js";
import { Inflights } from "../tracker/inflights.js";
import { Progress } from "../tracker/progress.js";
import type { ProgressMap, ProgressTracker, TrackerConfig } from "../tracker/progress-tracker.js";
import type { ConfChangeSingle } from "../types.js";

export interface ChangeResult {
  readonly config: TrackerConfig;
  readonly progress: ProgressMap;
}

/** A mutable working copy of a TrackerConfig. */
interface Working {
  incoming: Set<NodeId>;
  outgoing: Set<NodeId>;
  learners: Set<NodeId>;
  learnersNext: Set<NodeId>;
  autoLeave: boolean;
}

function refuse(message: string): never {
  throw new TesseraError("INVALID_ARGUMENT", `conf change: ${message}`);
}

export class Changer {
  constructor(
    private readonly tracker: ProgressTracker,
    /** New members start replicating from here. */
    private readonly lastIndex: LogIndex,
  ) {}

  enterJoint(autoLeave: boolean, ccs: readonly ConfChangeSingle[]): ChangeResult {
    const [cfg, prs] = this.checkAndCopy();
    if (cfg.outgoing.size > 0) refuse("config is already joint");
    if (cfg.incoming.size === 0) refuse("can't make a zero-voter config joint");
    cfg.outgoing = new Set(cfg.incoming);
    this.apply(cfg, prs, ccs);
    cfg.autoLeave = autoLeave;
    return finish(cfg, prs);
  }

  leaveJoint(): ChangeResult {
    const [cfg, prs] = this.checkAndCopy();
    if (cfg.outgoing.size === 0) refuse("can't leave a non-joint config");
    for (const id of cfg.learnersNext) {
      cfg.learners.add(id);
      prs.get(id)!.isLearner = true;
    }
    cfg.learnersNext = new Set();
    for (const id of cfg.outgoing) {
      if (!cfg.incoming.has(id) && !cfg.learners.has(id)) prs.delete(id);
    }
    cfg.outgoing = new Set();
    cfg.autoLeave = false;
    return finish(cfg, prs);
  }

  simple(ccs: readonly ConfChangeSingle[]): ChangeResult {
    const [cfg, prs] = this.checkAndCopy();
    if (cfg.outgoing.size > 0) refuse("can't apply simple config change in joint config");
    this.apply(cfg, prs, ccs);
    const before = this.tracker.config.voters.incoming.ids;
    if (symmetricDifference(before, cfg.incoming) > 1) {
      refuse("more than one voter changed without entering joint config");
    }
    return finish(cfg, prs);
  }

  private apply(cfg: Working, prs: ProgressMap, ccs: readonly ConfChangeSingle[]): void {
    for (const cc of ccs) {
      if (cc.nodeId === 0) continue; // etcd: a zero id is a no-op change
      switch (cc.type) {
        case "add-node":
          this.makeVoter(cfg, prs, cc.nodeId);
          break;
        case "add-learner":
          this.makeLearner(cfg, prs, cc.nodeId);
          break;
        case "remove-node":
          remove(cfg, prs, cc.nodeId);
          break;
        default:
          refuse(`unknown change type ${String((cc as ConfChangeSingle).type)}`);
      }
    }
    if (cfg.incoming.size === 0) refuse("removed all voters");
  }

  private makeVoter(cfg: Working, prs: ProgressMap, id: NodeId): void {
    const pr = prs.get(id);
    if (!pr) {
      this.initProgress(cfg, prs, id, false);
      return;
    }
    pr.isLearner = false;
    cfg.learners.delete(id);
    cfg.learnersNext.delete(id);
    cfg.incoming.add(id);
  }

  /**
   * Makes `id` a learner. A voter of the outgoing half cannot become a learner
   * while it still votes there, so it is staged in learnersNext.
   */
  private makeLearner(cfg: Working, prs: ProgressMap, id: NodeId): void {
    const pr = prs.get(id);
    if (!pr) {
      this.initProgress(cfg, prs, id, true);
      return;
    }
    if (pr.isLearner) return;
    remove(cfg, prs, id);
    prs.set(id, pr);
    if (cfg.outgoing.has(id)) {
      cfg.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      cfg.learners.add(id);
    }
  }

  private initProgress(cfg: Working, prs: ProgressMap, id: NodeId, isLearner: boolean): void {
    if (isLearner) cfg.learners.add(id);
    else cfg.incoming.add(id);
    // A new member is probed from the leader's last index; it is considered
    // active so that CheckQuorum does not step down before it could answer.
    const next = logIndex(Math.max(this.lastIndex, 1));
    prs.set(
      id,
      new Progress({
        match: logIndex(0),
        next,
        inflights: new Inflights(this.tracker.maxInflight, this.tracker.maxInflightBytes),
        isLearner,
        recentActive: true,
      }),
    );
  }

  private checkAndCopy(): [Working, ProgressMap] {
    const c = this.tracker.config;
    const cfg: Working = {
      incoming: new Set(c.voters.incoming.ids),
      outgoing: new Set(c.voters.outgoing.ids),
      learners: new Set(c.learners),
      learnersNext: new Set(c.learnersNext),
      autoLeave: c.autoLeave,
    };
    const prs: ProgressMap = new Map();
    for (const [id, pr] of this.tracker.progress) prs.set(id, pr.clone());
    checkInvariants(cfg, prs);
    return [cfg, prs];
  }
}

function remove(cfg: Working, prs: ProgressMap, id: NodeId): void {
  if (!prs.has(id)) return;
  cfg.incoming.delete(id);
  cfg.learners.delete(id);
  cfg.learnersNext.delete(id);
  // A voter of the outgoing half keeps its progress until the joint state is left.
  if (!cfg.outgoing.has(id)) prs.delete(id);
}

function finish(cfg: Working, prs: ProgressMap): ChangeResult {
  checkInvariants(cfg, prs);
  return {
    config: {
      voters: new JointConfig(new MajorityConfig(cfg.incoming), new MajorityConfig(cfg.outgoing)),
      autoLeave: cfg.autoLeave,
      learners: cfg.learners,
      learnersNext: cfg.learnersNext,
    },
    progress: prs,
  };
}

function checkInvariants(cfg: Working, prs: ProgressMap): void {
  for (const ids of [cfg.incoming, cfg.outgoing, cfg.learners, cfg.learnersNext]) {
    for (const id of ids) assert(prs.has(id), `no progress for ${id}`);
  }
  for (const id of cfg.learnersNext) {
    assert(cfg.outgoing.has(id), `${id} is in learnersNext but not in the outgoing voters`);
    assert(!prs.get(id)!.isLearner, `${id} is in learnersNext but already marked as learner`);
  }
  for (const id of cfg.learners) {
    assert(!cfg.outgoing.has(id), `${id} is both a learner and an outgoing voter`);
    assert(!cfg.incoming.has(id), `${id} is both a learner and a voter`);
    assert(prs.get(id)!.isLearner, `${id} is a learner but its progress is not marked so`);
  }
  if (cfg.outgoing.size === 0) {
    assert(cfg.learnersNext.size === 0, "learnersNext must be empty outside a joint config");
    assert(!cfg.autoLeave, "autoLeave must be false outside a joint config");
  }
}

function symmetricDifference(a: ReadonlySet<NodeId>, b: ReadonlySet<NodeId>): number {
  let n = 0;
  for (const id of a) if (!b.has(id)) n++;
  for (const id of b) if (!a.has(id)) n++;
  return n;
}
