/**
 * `ReplicatedKvService`: the `KvService` the protocol servers are given, on
 * every node. A command's range follows from its keyspace (routing.ts);
 * writes and `strong`/`quorum` reads run on the range's leader — here if this
 * node leads, otherwise forwarded over the bus (forwarding.ts, method
 * `kv.exec`); `any` reads the local replica; `all` has the leader take a read
 * point and every voter answer at it (`kv.readAt`), and fails when replies
 * differ. `waitForReplicas` and `status` look at the leader's progress.
 *
 * Bus methods served here (registered by the host): `kv.exec`, `kv.readAt`,
 * `kv.wait`. A forwarded request is never forwarded again: the receiving
 * node runs it only if it leads, and answers NOT_LEADER with its hint
 * otherwise, so a request cannot loop.
 */
import {
  decodeCommand,
  encodeCommand,
  isWriteCommand,
  type KvCommand,
  type KvReply,
  keyspaceStats,
  type ReadCommand,
  type WriteCommand,
} from "../kv/index.js";
import {
  equalBytes,
  type LogIndex,
  logIndex,
  type NodeId,
  type RangeId,
  SYSTEM_KEYSPACE_ID,
  TesseraError,
  type Timers,
  rangeId as toRangeId,
} from "../lib/index.js";
import type { Store } from "../storage/index.js";
import type { Bus, CallContext } from "../transport/index.js";
import { callOrRefuse, Forwarder, type ForwarderDeps, markLocal } from "./forwarding.js";
import type { PeerDirectory } from "./host-types.js";
import type { Replica } from "./replica.js";
import { replyFromWire, replyToWire } from "./reply-wire.js";
import { rangeForKeyspace, USER_RANGE_ID } from "./routing.js";
import { sleep } from "./system-timers.js";
import type {
  KeyspaceStats,
  KvService,
  ReadConsistency,
  ReplicaProgress,
  ServiceStatus,
  WriteResult,
} from "./types.js";

/** How often WAIT looks at follower progress. */
const WAIT_POLL_MS = 10;
/** Longest a forwarded WAIT with no timeout (0 = forever) waits per call. */
const WAIT_FOREVER_CALL_MS = 24 * 3600 * 1000;
const NO_STAMP = { nowMs: 0, version: 0n };

export const KV_EXEC_METHOD = "kv.exec";
export const KV_READ_AT_METHOD = "kv.readAt";
export const KV_WAIT_METHOD = "kv.wait";

interface ExecRequest {
  readonly rangeId: number;
  readonly level: ReadConsistency | "write";
  readonly cmd: Uint8Array;
}

export interface KvServiceDeps extends ForwarderDeps {
  readonly store: Store;
  readonly replicas: () => Iterable<Replica>;
  readonly peerDirectory: () => PeerDirectory;
  /** The bus call deadline of forwarded writes and reads. */
  readonly forwardTimeoutMs: number;
  readonly timers: Timers;
}

export class ReplicatedKvService implements KvService {
  private readonly forwarder: Forwarder;

  constructor(private readonly d: KvServiceDeps) {
    this.forwarder = new Forwarder(d);
  }

  /** Registers the bus methods this service answers. */
  serve(bus: Bus): void {
    bus.handle(KV_EXEC_METHOD, (req) => this.handleExec(req as ExecRequest));
    bus.handle(KV_READ_AT_METHOD, (req, ctx) => this.handleReadAt(req, ctx));
    bus.handle(KV_WAIT_METHOD, async (req) => {
      const r = req as { rangeId: number; index: number; n: number; timeoutMs: number };
      return this.waitLocal(this.leaderReplica(toRangeId(r.rangeId)), r.index, r.n, r.timeoutMs);
    });
  }

  write(cmd: WriteCommand): Promise<WriteResult> {
    let range: RangeId;
    try {
      range = this.rangeOf(cmd);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.forwarder.run(range, {
      idempotent: false,
      local: (r) => r.write(cmd),
      remote: async (bus, to) => {
        const res = (await callOrRefuse(
          bus,
          to,
          KV_EXEC_METHOD,
          { rangeId: range, level: "write", cmd: encodeCommand(cmd, NO_STAMP) },
          this.d.forwardTimeoutMs,
        )) as { reply: unknown; index: number };
        return { reply: replyFromWire(res.reply), index: Number(res.index) };
      },
    });
  }

  async read(cmd: ReadCommand, consistency: ReadConsistency): Promise<KvReply> {
    const range = this.rangeOf(cmd);
    if (consistency === "any") {
      const r = this.d.replica(range);
      if (!r?.isInitialized)
        throw new TesseraError("UNAVAILABLE", `this node has no replica of range ${range}`);
      return r.read(cmd, "any");
    }
    return this.forwarder.run(range, {
      idempotent: true,
      local: (r) => this.readOnLeader(r, cmd, consistency),
      remote: async (bus, to) => {
        const res = await callOrRefuse(
          bus,
          to,
          KV_EXEC_METHOD,
          { rangeId: range, level: consistency, cmd: encodeCommand(cmd, NO_STAMP) },
          this.d.forwardTimeoutMs,
        );
        return replyFromWire(res);
      },
    });
  }

  async waitForReplicas(index: number, numReplicas: number, timeoutMs: number): Promise<number> {
    return this.forwarder.run(USER_RANGE_ID, {
      idempotent: true,
      local: (r) => this.waitLocal(this.asLeader(r), index, numReplicas, timeoutMs),
      remote: async (bus, to) =>
        Number(
          await callOrRefuse(
            bus,
            to,
            KV_WAIT_METHOD,
            { rangeId: USER_RANGE_ID, index, n: numReplicas, timeoutMs },
            timeoutMs > 0 ? timeoutMs + this.d.forwardTimeoutMs : WAIT_FOREVER_CALL_MS,
          ),
        ),
    });
  }

  keyspaceStats(): readonly KeyspaceStats[] {
    return keyspaceStats(this.d.store.kvView()).filter((s) => s.ks !== SYSTEM_KEYSPACE_ID);
  }

  status(): ServiceStatus {
    const replica = this.d.replica(USER_RANGE_ID) ?? [...this.d.replicas()][0];
    const store = this.d.store.stats();
    const address = this.d.peerDirectory();
    let writesTotal = 0;
    for (const r of this.d.replicas()) writesTotal += r.writesAppliedTotal;
    const replicas: ReplicaProgress[] = [];
    if (replica) {
      const progress = replica.progress();
      const conf = replica.confState();
      for (const id of [...conf.voters, ...conf.learners]) {
        if (id === this.d.nodeId) continue;
        const pr = progress.get(id);
        replicas.push({
          nodeId: id,
          address: address(id),
          matchIndex: pr?.match ?? 0,
          state: pr?.state ?? "unknown",
        });
      }
    }
    return {
      nodeId: this.d.nodeId,
      role: replica ? roleOf(replica) : "unknown",
      leaderId: replica?.leaderId ?? 0,
      term: replica?.term ?? 0,
      commitIndex: replica?.commitIndex ?? 0,
      appliedIndex: replica?.appliedIndex ?? 0,
      replicas,
      storeBytes: store.storeBytes,
      writesTotal,
      lastSyncAtMs: store.lastSyncAtMs,
    };
  }

  // --- served for other nodes ------------------------------------------------

  private async handleExec(req: ExecRequest): Promise<unknown> {
    const range = toRangeId(Number(req.rangeId));
    const { cmd } = decodeCommand(new Uint8Array(req.cmd));
    const replica = this.leaderReplica(range);
    if (req.level === "write") {
      if (!isWriteCommand(cmd)) throw new TesseraError("PROTOCOL", "kv.exec: not a write");
      const res = await markLocal(replica.write(cmd));
      return { reply: replyToWire(res.reply), index: res.index };
    }
    if (isWriteCommand(cmd)) throw new TesseraError("PROTOCOL", "kv.exec: not a read");
    return replyToWire(await markLocal(this.readOnLeader(replica, cmd, req.level)));
  }

  private async handleReadAt(req: unknown, _ctx: CallContext): Promise<unknown> {
    const r = req as { rangeId: number; index: number; cmd: Uint8Array };
    const range = toRangeId(Number(r.rangeId));
    const replica = this.d.replica(range);
    if (!replica) throw new TesseraError("UNAVAILABLE", `no replica of range ${range} here`);
    const { cmd } = decodeCommand(new Uint8Array(r.cmd));
    if (isWriteCommand(cmd)) throw new TesseraError("PROTOCOL", "kv.readAt: not a read");
    return replyToWire(await replica.readAt(cmd, logIndex(Number(r.index))));
  }

  // --- on the leader ------------------------------------------------------------

  private async readOnLeader(
    r: Replica,
    cmd: ReadCommand,
    level: ReadConsistency,
  ): Promise<KvReply> {
    this.asLeader(r);
    if (level !== "all") return r.read(cmd, level);
    const point = await r.readPoint("safe");
    const conf = r.confState();
    const voters = [...new Set([...conf.voters, ...conf.votersOutgoing])];
    const encoded = encodeCommand(cmd, NO_STAMP);
    const replies = await Promise.all(
      voters.map(async (v): Promise<[NodeId, KvReply]> => {
        if (v === this.d.nodeId) return [v, await r.readAt(cmd, point)];
        if (!this.d.bus) throw new TesseraError("UNAVAILABLE", "no bus to reach other voters");
        const res = await this.d.bus.call(
          v,
          KV_READ_AT_METHOD,
          { rangeId: r.rangeId, index: point, cmd: encoded },
          { timeoutMs: this.d.forwardTimeoutMs },
        );
        return [v, replyFromWire(res)];
      }),
    );
    const [first, ...rest] = replies;
    const divergent = rest.filter(([, reply]) => !sameReply(reply, first![1])).map(([v]) => v);
    if (divergent.length > 0) {
      throw new TesseraError(
        "CORRUPTION",
        `replicas of range ${r.rangeId} disagree at index ${point}: node ${first![0]} differs from node(s) ${divergent.join(", ")}`,
        { index: point, divergent },
      );
    }
    return first![1];
  }

  private async waitLocal(r: Replica, index: number, n: number, timeoutMs: number) {
    const count = () => {
      const conf = r.confState();
      return r.followerProgress().filter((p) => conf.voters.includes(p.nodeId) && p.match >= index)
        .length;
    };
    const others = r.confState().voters.filter((v) => v !== this.d.nodeId).length;
    const deadline =
      timeoutMs > 0 ? this.d.clock.monotonicMs() + timeoutMs : Number.POSITIVE_INFINITY;
    // Nobody else can ever hold the entry when there is no one else.
    while (others > 0 && count() < n && this.d.clock.monotonicMs() < deadline) {
      if (r.isClosed || r.raftState !== "leader") break;
      await sleep(this.d.timers, WAIT_POLL_MS);
    }
    return count();
  }

  private leaderReplica(range: RangeId): Replica {
    const r = this.d.replica(range);
    if (!r)
      throw new TesseraError("UNAVAILABLE", `no replica of range ${range} here`, {
        beforePropose: true,
      });
    return this.asLeader(r);
  }

  private asLeader(r: Replica): Replica {
    if (r.raftState === "leader") return r;
    if (r.leaderId === 0)
      throw new TesseraError("UNAVAILABLE", `range ${r.rangeId} has no leader`, {
        beforePropose: true,
      });
    throw new TesseraError("NOT_LEADER", `range ${r.rangeId} is led by node ${r.leaderId}`, {
      leader: r.leaderId,
    });
  }

  private rangeOf(cmd: KvCommand): RangeId {
    if (cmd.op === "flush" && cmd.ks === undefined) return USER_RANGE_ID;
    const range = rangeForKeyspace(cmd.ks!);
    if (cmd.op === "copy" && rangeForKeyspace(cmd.dstKs) !== range)
      throw new TesseraError("CROSSSLOT", "COPY between the system keyspace and a user keyspace");
    return range;
  }
}

/** Whether two replies are the same value (bytes compared by content, integers by value). */
export function sameReply(a: KvReply, b: KvReply): boolean {
  if (a.t !== b.t) return false;
  switch (a.t) {
    case "bulk":
      return equalBytes(a.v, (b as typeof a).v);
    case "int":
      return BigInt(a.v) === BigInt((b as typeof a).v);
    case "array": {
      const bv = (b as typeof a).v;
      return a.v.length === bv.length && a.v.every((x, i) => sameReply(x, bv[i]!));
    }
    case "status":
      return a.v === (b as typeof a).v;
    case "error":
      return a.code === (b as typeof a).code && a.message === (b as typeof a).message;
    default:
      return true;
  }
}

function roleOf(replica: Replica): ServiceStatus["role"] {
  switch (replica.raftState) {
    case "leader":
      return "leader";
    case "follower":
      return replica.confState().learners.includes(replica.nodeId) ? "learner" : "follower";
    case "candidate":
    case "pre-candidate":
      return "candidate";
    default:
      return "unknown";
  }
}

export type { LogIndex };
