/**
 * `ReplicatedKvService`: the `KvService` the protocol servers are given, on
 * every node. A command's range follows from its keys, looked up in the range
 * cache (directory.ts); writes and `strong`/`quorum` reads run on the range's
 * leader — here if this node leads, otherwise forwarded over the bus
 * (forwarding.ts, method `kv.exec`); `any` reads the local replica; `all` has
 * the leader take a read point and every voter answer at it (`kv.readAt`),
 * and fails when replies differ. `waitForReplicas` and `status` look at the
 * leader's progress.
 *
 * Across ranges: multi-key reads (MGET, EXISTS, TOUCH) and DEL run range by
 * range and their replies are merged; keyspace-wide commands (KEYS, SCAN,
 * DBSIZE, RANDOMKEY, FLUSHDB, FLUSHALL) visit every range of the keyspace,
 * each pinned to the generation the cache knows, so a range that split or
 * merged meanwhile refuses and the whole command is routed again; other
 * multi-key writes (MSET, MSETNX, RENAME, COPY) must stay in one range and
 * are refused with CROSSSLOT otherwise (until transactions arrive). A range
 * refusing a request routed with a stale cache (RANGE_MISMATCH) costs a cache
 * refresh and a retry, never a lost or doubled write: the refusal happens
 * before the command is applied.
 *
 * Bus methods served here (registered by the host): `kv.exec`, `kv.readAt`,
 * `kv.wait`. A forwarded request is never forwarded again: the receiving
 * node runs it only if it leads, and answers NOT_LEADER with its hint
 * otherwise, so a request cannot loop.
 */
import {
  decodeCommand,
  decodeScanCursor,
  encodeCommand,
  encodeScanCursor,
  isWriteCommand,
  type KvReply,
  keyspaceStats,
  type ReadCommand,
  type WriteCommand,
} from "../kv/index.js";
import {
  compareBytes,
  concatBytes,
  equalBytes,
  isTesseraError,
  type KeyspaceId,
  keyHashSlot,
  keyspaceBounds,
  type LogIndex,
  logIndex,
  META_RANGE_ID,
  type NodeId,
  type RangeId,
  SeededRng,
  TesseraError,
  type Timers,
  rangeId as toRangeId,
} from "../lib/index.js";
import type { Store } from "../storage/index.js";
import type { Bus, CallContext } from "../transport/index.js";
import { commandUserKeys, internalKeyOf } from "./command-keys.js";
import type { DirectoryEntry, RangeDirectory } from "./directory.js";
import { callOrRefuse, Forwarder, type ForwarderDeps, markLocal } from "./forwarding.js";
import type { PeerDirectory } from "./host-types.js";
import type { Replica } from "./replica.js";
import { replyFromWire, replyToWire } from "./reply-wire.js";
import { USER_RANGE_ID } from "./routing.js";
import { sleep } from "./system-timers.js";
import type {
  KeyspaceStats,
  KvService,
  RangeSummary,
  ReadConsistency,
  ReplicaProgress,
  RouteOptions,
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
  /** The range generation the sender routed with (0: any); another one is refused. */
  readonly generation?: number;
}

export interface KvServiceDeps extends ForwarderDeps {
  readonly store: Store;
  readonly replicas: () => Iterable<Replica>;
  readonly peerDirectory: () => PeerDirectory;
  /** The bus call deadline of forwarded writes and reads. */
  readonly forwardTimeoutMs: number;
  readonly timers: Timers;
  readonly directory: RangeDirectory;
  /** Reloads the meta table into the directory (single-flight). */
  readonly refreshDirectory: () => Promise<void>;
}

/** Pause before routing again after a refusal, while the cache catches up. */
const REROUTE_PAUSE_MS = 20;
/** Most times one request is routed again after RANGE_MISMATCH. */
const REROUTES_MAX = 100;
/** Bytes of a data key before the SCAN position (tag + keyspace id). */
const KEYSPACE_PREFIX_BYTES = 5;

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

  async write(cmd: WriteCommand, options?: RouteOptions): Promise<WriteResult> {
    const keys = commandUserKeys(cmd);
    if (keys === undefined) return this.writeEverywhere(cmd);
    return this.rerouting(async () => {
      const groups = await this.groupKeys(keys.map(([ks, k]) => internalKeyOf(ks, k)));
      if (groups.length === 1) {
        const [entry] = groups[0]!;
        this.maybeRedirect(entry, keys, options);
        const redirect = options?.redirect ? keyHashSlot(keys[0]![1]) : undefined;
        return this.writeOn(entry, cmd, redirect);
      }
      if (cmd.op !== "del") {
        throw new TesseraError(
          "CROSSSLOT",
          `the keys of ${cmd.op.toUpperCase()} lie in ${groups.length} ranges`,
        );
      }
      // DEL is not atomic across ranges in Redis Cluster either: range by range.
      const parts = await Promise.all(
        groups.map(([, idx]) =>
          this.write({ op: "del", ks: cmd.ks, keys: idx.map((i) => cmd.keys[i]!) }),
        ),
      );
      let n = 0;
      for (const p of parts) if (p.reply.t === "int") n += Number(p.reply.v);
      return { reply: { t: "int", v: n }, index: Math.max(...parts.map((p) => p.index)) };
    });
  }

  async read(
    cmd: ReadCommand,
    consistency: ReadConsistency,
    options?: RouteOptions,
  ): Promise<KvReply> {
    const keys = commandUserKeys(cmd);
    if (keys === undefined) return this.readEverywhere(cmd, consistency);
    return this.rerouting(async () => {
      const groups = await this.groupKeys(keys.map(([ks, k]) => internalKeyOf(ks, k)));
      if (groups.length === 1) {
        const [entry] = groups[0]!;
        this.maybeRedirect(entry, keys, options, consistency);
        return this.readOn(entry, cmd, consistency);
      }
      if (cmd.op !== "mget" && cmd.op !== "exists" && cmd.op !== "touch")
        throw new TesseraError(
          "CROSSSLOT",
          `the keys of ${cmd.op.toUpperCase()} lie in several ranges`,
        );
      const parts = await Promise.all(
        groups.map(async ([, idx]) => {
          const sub = { ...cmd, keys: idx.map((i) => cmd.keys[i]!) };
          return [idx, await this.read(sub, consistency)] as const;
        }),
      );
      if (cmd.op === "mget") {
        const out: KvReply[] = new Array(cmd.keys.length);
        for (const [idx, reply] of parts) {
          if (reply.t !== "array") return reply;
          idx.forEach((i, j) => {
            out[i] = reply.v[j]!;
          });
        }
        return { t: "array", v: out };
      }
      let n = 0;
      for (const [, reply] of parts) {
        if (reply.t !== "int") return reply;
        n += Number(reply.v);
      }
      return { t: "int", v: n };
    });
  }

  ranges(): readonly RangeSummary[] {
    return this.d.directory.all().map((e) => {
      const r = this.d.replica(e.desc.rangeId);
      const leaderId =
        r?.isInitialized && r.leaderId !== 0
          ? r.leaderId
          : (this.d.directory.leaderHint(e.desc.rangeId) ?? 0);
      return {
        rangeId: e.desc.rangeId,
        start: e.desc.start,
        end: e.desc.end,
        generation: e.desc.generation,
        voters: [...e.voters].sort((a, b) => a - b),
        learners: [...e.learners].sort((a, b) => a - b),
        leaderId,
        ...(e.desc.sticky ? { sticky: true } : {}),
      };
    });
  }

  async waitForReplicas(
    index: number,
    numReplicas: number,
    timeoutMs: number,
    range: RangeId = USER_RANGE_ID,
  ): Promise<number> {
    return this.forwarder.run(range, {
      idempotent: true,
      local: (r) => this.waitLocal(this.asLeader(r), index, numReplicas, timeoutMs),
      remote: async (bus, to) =>
        Number(
          await callOrRefuse(
            bus,
            to,
            KV_WAIT_METHOD,
            { rangeId: range, index, n: numReplicas, timeoutMs },
            timeoutMs > 0 ? timeoutMs + this.d.forwardTimeoutMs : WAIT_FOREVER_CALL_MS,
          ),
        ),
    });
  }

  /**
   * Resolves once every write answered here is durably applied, so that
   * statistics read from committed state (`keyspaceStats`) count them all:
   * a write is answered before its apply is durable (replica.ts
   * `answerApplied`), by a store commit at most.
   */
  async settled(): Promise<void> {
    await Promise.all([...this.d.replicas()].map((r) => r.settled()));
  }

  /** Keys counted by the ranges this node leads (summed over nodes: the cluster's). */
  keyspaceStats(): readonly KeyspaceStats[] {
    const sums = new Map<number, { keys: number; expires: number }>();
    for (const r of this.d.replicas()) {
      if (r.rangeId === META_RANGE_ID || !r.isInitialized || r.raftState !== "leader") continue;
      for (const s of keyspaceStats(r.view)) {
        const t = sums.get(s.ks) ?? { keys: 0, expires: 0 };
        t.keys += s.keys;
        t.expires += s.expires;
        sums.set(s.ks, t);
      }
    }
    return [...sums].sort(([a], [b]) => a - b).map(([ks, t]) => ({ ks: ks as KeyspaceId, ...t }));
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

  // --- routing ---------------------------------------------------------------------

  /** Runs `fn` again (after a cache refresh) while a range refuses it as misrouted. */
  private async rerouting<T>(fn: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await fn();
      } catch (e) {
        if (!isTesseraError(e, "RANGE_MISMATCH") || i >= REROUTES_MAX) throw e;
        this.d.directory.invalidate();
        if (i > 0) await sleep(this.d.timers, REROUTE_PAUSE_MS);
        await this.d.refreshDirectory().catch(() => undefined);
      }
    }
  }

  /** The range owning internal key `key`, refreshing the cache once on a miss. */
  private async entryFor(key: Uint8Array): Promise<DirectoryEntry> {
    let e = this.d.directory.lookup(key);
    if (e === undefined) {
      await this.d.refreshDirectory();
      e = this.d.directory.lookup(key);
    }
    if (e === undefined)
      throw new TesseraError("RANGE_MISMATCH", "no known range owns the key yet");
    return e;
  }

  /** Key positions grouped by owning range, in order of first appearance. */
  private async groupKeys(keys: readonly Uint8Array[]): Promise<[DirectoryEntry, number[]][]> {
    const groups = new Map<RangeId, [DirectoryEntry, number[]]>();
    for (let i = 0; i < keys.length; i++) {
      const e = await this.entryFor(keys[i]!);
      const g = groups.get(e.desc.rangeId);
      if (g) g[1].push(i);
      else groups.set(e.desc.rangeId, [e, [i]]);
    }
    return [...groups.values()];
  }

  /** MOVED instead of forwarding, for cluster-aware clients (single-key commands). */
  private maybeRedirect(
    entry: DirectoryEntry,
    keys: readonly (readonly [KeyspaceId, Uint8Array])[],
    options: RouteOptions | undefined,
    consistency?: ReadConsistency,
  ): void {
    if (!options?.redirect || keys.length === 0) return;
    const id = entry.desc.rangeId;
    const local = this.d.replica(id);
    if (consistency === "any" && local?.isInitialized) return;
    const leader =
      local?.isInitialized && local.leaderId !== 0
        ? local.leaderId
        : this.d.directory.leaderHint(id);
    if (leader === undefined || leader === 0 || leader === this.d.nodeId) return;
    const address = this.d.peerDirectory()(leader);
    if (address === "") return;
    throw new TesseraError("MOVED", `range ${id} is led by node ${leader}`, {
      slot: keyHashSlot(keys[0]![1]),
      address,
    });
  }

  /** MOVED to node `to`, or TRYAGAIN (nothing was proposed) while its address is unknown. */
  private movedTo(range: RangeId, to: NodeId, slot: number): TesseraError {
    const address = this.d.peerDirectory()(to);
    if (address === "")
      return new TesseraError("TRY_AGAIN", `range ${range} is led by node ${to}, address unknown`);
    return new TesseraError("MOVED", `range ${range} is led by node ${to}`, { slot, address });
  }

  /**
   * Runs a write on its range's leader. `redirectSlot`: the client follows
   * MOVED (a Redis Cluster client), and it is told where the leader is instead
   * of the write being forwarded there. Such a client closes its connection
   * to a node that a CLUSTER SLOTS reply stops naming and sends again what was
   * in flight on it; a write this node had forwarded, and the leader applied,
   * would then be applied twice. So this node proposes it only as the leader,
   * and otherwise answers MOVED to the leader it finds (waiting, as a forward
   * would, while there is none) — or TRYAGAIN if it cannot name its address.
   */
  private writeOn(
    entry: DirectoryEntry,
    cmd: WriteCommand,
    redirectSlot?: number,
  ): Promise<WriteResult> {
    const range = entry.desc.rangeId;
    return this.forwarder
      .run(range, {
        idempotent: false,
        local: (r) => r.write(cmd),
        remote: async (bus, to) => {
          if (redirectSlot !== undefined) throw this.movedTo(range, to, redirectSlot);
          const res = (await callOrRefuse(
            bus,
            to,
            KV_EXEC_METHOD,
            { rangeId: range, level: "write", cmd: encodeCommand(cmd, NO_STAMP) },
            this.d.forwardTimeoutMs,
          )) as { reply: unknown; index: number };
          return { reply: replyFromWire(res.reply), index: Number(res.index) };
        },
      })
      .then((res) => {
        // Refused at apply: a split took the keys away after it was proposed.
        if (res.reply.t === "error" && res.reply.code === "RANGE_MISMATCH")
          throw new TesseraError("RANGE_MISMATCH", res.reply.message);
        return { ...res, rangeId: range };
      });
  }

  private async readOn(
    entry: DirectoryEntry,
    cmd: ReadCommand,
    consistency: ReadConsistency,
    generation = 0,
  ): Promise<KvReply> {
    const range = entry.desc.rangeId;
    if (consistency === "any") {
      const r = this.d.replica(range);
      if (r?.isInitialized) {
        this.checkGeneration(r, generation);
        return r.read(cmd, "any");
      }
    }
    return this.forwarder.run(range, {
      idempotent: true,
      local: (r) => {
        this.checkGeneration(r, generation);
        return this.readOnLeader(r, cmd, consistency);
      },
      remote: async (bus, to) => {
        const res = await callOrRefuse(
          bus,
          to,
          KV_EXEC_METHOD,
          {
            rangeId: range,
            level: consistency,
            cmd: encodeCommand(cmd, NO_STAMP),
            generation,
          },
          this.d.forwardTimeoutMs,
        );
        return replyFromWire(res);
      },
    });
  }

  private checkGeneration(r: Replica, generation: number | undefined): void {
    if (!generation) return;
    const g = r.descriptor.generation;
    if (g !== generation)
      throw new TesseraError(
        "RANGE_MISMATCH",
        `range ${r.rangeId} is at generation ${g}, the request was routed at ${generation}`,
        { beforePropose: true },
      );
  }

  /** The ranges holding keyspace `ks` (every user range for undefined), pinned to their generations. */
  private rangesOf(ks: KeyspaceId | undefined): DirectoryEntry[] {
    const all = this.d.directory.all();
    if (ks === undefined) return all.filter((e) => e.desc.rangeId !== META_RANGE_ID);
    const out: DirectoryEntry[] = [];
    for (const mode of ["hash", "range"] as const) {
      const b = keyspaceBounds(ks, mode);
      out.push(...this.d.directory.overlapping(b.start, b.end));
    }
    return out;
  }

  /** Whether the known ranges cover keyspace `ks` without holes (else the cache is behind). */
  private covers(entries: readonly DirectoryEntry[], ks: KeyspaceId): boolean {
    const b = keyspaceBounds(ks, "hash");
    let at = b.start;
    for (const e of entries) {
      if (compareBytes(e.desc.start, b.end) >= 0) break;
      if (compareBytes(e.desc.end, b.start) <= 0) continue;
      if (compareBytes(e.desc.start, at) > 0) return false;
      if (compareBytes(e.desc.end, at) > 0) at = e.desc.end;
    }
    return compareBytes(at, b.end) >= 0;
  }

  private async keyspaceRanges(ks: KeyspaceId | undefined): Promise<DirectoryEntry[]> {
    let entries = this.rangesOf(ks);
    if (ks !== undefined && !this.covers(entries, ks)) {
      await this.d.refreshDirectory();
      entries = this.rangesOf(ks);
      if (!this.covers(entries, ks))
        throw new TesseraError("RANGE_MISMATCH", `keyspace ${ks} is not fully mapped yet`);
    }
    return entries;
  }

  /** FLUSHDB / FLUSHALL: every range of the keyspace (or every user range). */
  private writeEverywhere(cmd: WriteCommand): Promise<WriteResult> {
    const ks = cmd.op === "flush" ? cmd.ks : undefined;
    return this.rerouting(async () => {
      const entries = await this.keyspaceRanges(ks);
      const parts = await Promise.all(entries.map((e) => this.writeOn(e, cmd)));
      const failed = parts.find((p) => p.reply.t === "error");
      return {
        reply: failed?.reply ?? { t: "ok" },
        index: Math.max(0, ...parts.map((p) => p.index)),
      };
    });
  }

  /** KEYS, SCAN, DBSIZE, RANDOMKEY over every range of the keyspace. */
  private readEverywhere(cmd: ReadCommand, consistency: ReadConsistency): Promise<KvReply> {
    const ks = "ks" in cmd ? cmd.ks : undefined;
    return this.rerouting(async () => {
      const entries = await this.keyspaceRanges(ks);
      const on = (e: DirectoryEntry, c: ReadCommand) =>
        this.readOn(e, c, consistency, e.desc.generation);
      switch (cmd.op) {
        case "keys": {
          const parts = await Promise.all(entries.map((e) => on(e, cmd)));
          const out: KvReply[] = [];
          for (const p of parts) {
            if (p.t !== "array") return p;
            out.push(...p.v);
          }
          return { t: "array", v: out };
        }
        case "dbsize": {
          const parts = await Promise.all(entries.map((e) => on(e, cmd)));
          let n = 0;
          for (const p of parts) {
            if (p.t !== "int") return p;
            n += Number(p.v);
          }
          return { t: "int", v: n };
        }
        case "randomkey": {
          const rng = new SeededRng(cmd.seed >>> 0);
          const order = [...entries];
          for (let i = order.length - 1; i > 0; i--) {
            const j = rng.intn(i + 1);
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
          for (const e of order) {
            const r = await on(e, cmd);
            if (r.t !== "nil") return r;
          }
          return { t: "nil" };
        }
        case "scan":
          return this.scanAcross(cmd, entries, on);
        default:
          throw new TesseraError("INTERNAL", `${cmd.op} is not a keyspace-wide read`);
      }
    });
  }

  /**
   * SCAN across ranges: the cursor names a position in the keyspace
   * (kv/scan.ts), so it is served by the range holding that position; when
   * that range is done, the cursor moves to the start of the next range.
   */
  private async scanAcross(
    cmd: Extract<ReadCommand, { op: "scan" }>,
    entries: readonly DirectoryEntry[],
    on: (e: DirectoryEntry, c: ReadCommand) => Promise<KvReply>,
  ): Promise<KvReply> {
    const position = decodeScanCursor(cmd.cursor, "hash");
    if (position === undefined || entries.length === 0) return on(entries[0]!, cmd);
    const prefix = keyspaceBounds(cmd.ks, "hash").start;
    const at = concatBytes(prefix, position);
    let i = entries.findIndex((e) => compareBytes(at, e.desc.end) < 0);
    if (i < 0) i = entries.length - 1;
    const reply = await on(entries[i]!, cmd);
    if (reply.t !== "array") return reply;
    const [next, keys] = reply.v as [KvReply, KvReply];
    const done = next.t === "bulk" && new TextDecoder().decode(next.v) === "0";
    if (!done || i === entries.length - 1) return reply;
    const following = entries[i + 1]!.desc.start;
    const nextCursor =
      compareBytes(following, prefix) > 0 && following.length > KEYSPACE_PREFIX_BYTES
        ? encodeScanCursor(following.subarray(KEYSPACE_PREFIX_BYTES))
        : "0";
    return { t: "array", v: [{ t: "bulk", v: new TextEncoder().encode(nextCursor) }, keys] };
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
    this.checkGeneration(replica, Number(req.generation ?? 0));
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
    if (!r && this.d.gone?.(range))
      throw new TesseraError("RANGE_MISMATCH", `range ${range} was merged away`);
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
