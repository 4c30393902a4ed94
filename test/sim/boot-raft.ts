/**
 * Boots a raft-level simulated node (`RaftKvNode`): the consensus core and
 * the KV state machine under the simulated world, with the seed's read mode
 * and the deliberate bugs a knob asks for.
 */
import type { NodeId } from "../../src/lib/index.js";
import type { Knob } from "./knobs.js";
import type { SafetyMonitor } from "./monitor.js";
import { RAFT_RANGE, RaftKvNode } from "./raft-kv-node.js";
import type { Boot } from "./sim-node.js";
import type { SwarmConfig } from "./swarm.js";

export function bootRaft(
  swarm: SwarmConfig,
  voters: readonly NodeId[],
  monitor: SafetyMonitor,
  knob: Knob | undefined,
): Boot {
  return (ctx) => {
    const node = new RaftKvNode({
      id: ctx.id,
      voters,
      engine: ctx.engine,
      bus: ctx.bus,
      timers: ctx.timers,
      clock: ctx.clock,
      rng: ctx.rng,
      monitor,
      tickMs: 100,
      // A lease bug only shows when reads use the lease.
      readMode:
        knob === "leaseIgnoresExpiry" || swarm.readOnlyOption === "lease-based" ? "lease" : "safe",
      requestTimeoutMs: 3000,
      msgBytesMax: swarm.raftMsgBytesMax,
      raftKnobs: {
        leaseIgnoresExpiry: knob === "leaseIgnoresExpiry",
        commitPriorTermEntries: knob === "commitPriorTermEntries",
      },
      ackBeforeSync: knob === "ackBeforeSync",
      note: ctx.note,
      onFatal: ctx.onFatal,
    });
    return {
      write: (cmd) => node.write(cmd),
      read: (cmd) => node.read(cmd),
      ranges: () => [
        {
          range: RAFT_RANGE,
          applied: node.appliedIndex,
          commit: node.commitIndex,
          digest: node.stateDigest(),
          isLeader: node.isLeader,
          members: voters,
        },
      ],
      stop: () => node.stop(),
    };
  };
}
