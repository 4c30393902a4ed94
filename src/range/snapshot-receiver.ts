/**
 * The follower's side of a snapshot: the `range.snapshot` bus method. A
 * session (begin) takes the chunks in order, each checked against its
 * CRC-32C, and stages them (snapshot-staging.ts: a file on a node) as they
 * come, decoding them on the way to check the stream is well formed and to
 * keep the range's own records (its descriptor, frozen mark and merge lock),
 * which the host and the replica read before installing. The commit checks
 * the stream's length and CRC-32C and delivers the snapshot to the range's
 * replica (created uninitialized if this node has none yet), answering the
 * commit once Raft has it. The host first writes a big snapshot for a replica
 * that holds nothing yet into its span, in bounded transactions (span-work.ts);
 * otherwise the replica installs it in one store batch, reading the staged
 * stream back. Memory stays that of a few chunks whatever the range's size.
 *
 * Sessions are bounded in number and bytes; one past its bound, too far out
 * of order (a few chunks early wait for their turn) or idle too long is
 * dropped with what it staged (the leader retries later).
 */
import {
  type Clock,
  equalBytes,
  logIndex,
  type NodeId,
  type RangeId,
  rangeRecordKeys,
  TesseraError,
  rangeId as toRangeId,
  term as toTerm,
} from "../lib/index.js";
import type { ConfState, SnapshotMetadata } from "../raft/index.js";
import type { SpanClear, SpanEntry } from "../storage/index.js";
import type { CallContext } from "../transport/index.js";
import { checkChunk, SNAPSHOT_CHUNK_BYTES_MAX, SnapshotDecoder } from "./snapshot-codec.js";
import { SNAPSHOT_CHUNKS_IN_FLIGHT, type SnapshotRequest } from "./snapshot-sender.js";
import type { SnapshotStaging, StagedSnapshot } from "./snapshot-staging.js";

/** Most snapshot sessions open at once; the oldest is dropped past it. */
export const SNAPSHOT_SESSIONS_MAX = 8;
/** Largest snapshot a node accepts. */
export const SNAPSHOT_BYTES_MAX = 64 * 1024 * 1024 * 1024;
/** How far ahead of the next chunk one may come (the sender's chunks in flight, and spare). */
export const SNAPSHOT_CHUNKS_EARLY_MAX = 2 * SNAPSHOT_CHUNKS_IN_FLIGHT;
/** A session that receives nothing for this long is dropped (its sender gave up). */
export const SNAPSHOT_SESSION_IDLE_MS = 60_000;

/** A snapshot received whole and checked, staged until its replica installs it. */
export interface IncomingSnapshot {
  readonly meta: SnapshotMetadata;
  readonly bytes: number;
  readonly keys: number;
  /** The value of one of the range's own records (descriptor, frozen mark, merge lock). */
  record(key: Uint8Array): Uint8Array | undefined;
  /** Every entry in key order, decoded from the staged stream as it is pulled. */
  entries(): Iterable<SpanEntry>;
  /**
   * Set when the data was written into the store ahead of the install
   * (span-work.ts), under this span-clear record: the install writes only
   * Raft state, then calls `markInstalled`.
   */
  readonly prewritten?: SpanClear;
  markInstalled?(): void;
  /** Frees the staged stream (or, for a prewritten snapshot not installed, clears its data). Idempotent. */
  discard(): void;
}

/** Hands a snapshot to its replica; resolves once Raft has it (the sender's commit call waits). */
export type SnapshotDelivery = (
  rangeId: RangeId,
  from: NodeId,
  msgTerm: number,
  snapshot: IncomingSnapshot,
) => Promise<void> | void;

interface Session {
  readonly from: NodeId;
  readonly rangeId: RangeId;
  readonly msgTerm: number;
  readonly meta: SnapshotMetadata;
  readonly staged: StagedSnapshot;
  readonly decoder: SnapshotDecoder;
  /** The range's own records, as found in the stream. */
  readonly records: SpanEntry[];
  readonly recordKeys: readonly Uint8Array[];
  /** Chunks that came before their turn, by sequence number. */
  readonly early: Map<number, Uint8Array>;
  chunks: number;
  keys: number;
  lastMs: number;
}

export class SnapshotReceiver {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly staging: SnapshotStaging,
    private readonly clock: Clock,
    private readonly deliver: SnapshotDelivery,
  ) {}

  /** Sessions open (for tests). */
  get sessionsOpen(): number {
    return this.sessions.size;
  }

  async handle(request: unknown, ctx: CallContext): Promise<unknown> {
    const req = request as SnapshotRequest;
    const key = `${ctx.from}:${String(req.id)}`;
    switch (req.phase) {
      case "begin":
        return this.begin(key, req, ctx.from);
      case "chunk":
        return this.withSession(key, (s) => this.chunk(s, req));
      case "commit": {
        const delivered = this.withSession(key, (s) => {
          this.sessions.delete(key);
          return this.commit(s, req);
        });
        await delivered;
        return true;
      }
      default:
        throw bad("unknown phase");
    }
  }

  /** Drops every session and what it staged (the host stops). */
  close(): void {
    for (const s of this.sessions.values()) s.staged.discard();
    this.sessions.clear();
  }

  private chunk(s: Session, req: Extract<SnapshotRequest, { phase: "chunk" }>): boolean {
    // The sender keeps a few chunks in flight; a network may reorder them, so
    // one that comes early waits (checked) for those before it.
    if (
      req.seq < s.chunks ||
      req.seq >= s.chunks + SNAPSHOT_CHUNKS_EARLY_MAX ||
      s.early.has(req.seq)
    )
      throw bad(`chunk ${req.seq} out of order`);
    const data = new Uint8Array(req.data);
    if (data.byteLength > SNAPSHOT_CHUNK_BYTES_MAX) throw bad("chunk too large");
    checkChunk({ data, crc: req.crc });
    if (req.seq > s.chunks) {
      s.early.set(req.seq, data);
      return true;
    }
    for (
      let next: Uint8Array | undefined = data;
      next !== undefined;
      next = s.early.get(s.chunks)
    ) {
      s.early.delete(s.chunks);
      this.take(s, next);
    }
    return true;
  }

  /** Adds the next chunk, in order, to the session's stream. */
  private take(s: Session, data: Uint8Array): void {
    if (s.staged.bytes + data.byteLength > SNAPSHOT_BYTES_MAX) {
      throw new TesseraError("LIMIT_EXCEEDED", `snapshot larger than ${SNAPSHOT_BYTES_MAX} bytes`);
    }
    for (const e of s.decoder.push(data)) {
      s.keys++;
      if (s.recordKeys.some((k) => equalBytes(k, e.key))) s.records.push(e);
    }
    s.staged.append(data);
    s.chunks++;
  }

  /** Checks the stream (throwing at once when it is bad), then delivers it. */
  private commit(s: Session, req: Extract<SnapshotRequest, { phase: "commit" }>): Promise<void> {
    if (req.chunks !== s.chunks || req.bytes !== s.staged.bytes) {
      throw bad(
        `incomplete: ${s.chunks} chunks of ${req.chunks}, ${s.staged.bytes} bytes of ${req.bytes}`,
      );
    }
    s.decoder.end(req.crc);
    const { staged, records } = s;
    const snapshot: IncomingSnapshot = {
      meta: s.meta,
      bytes: staged.bytes,
      keys: s.keys,
      record: (k) => records.find((e) => equalBytes(e.key, k))?.value,
      *entries() {
        const d = new SnapshotDecoder(false);
        for (const piece of staged.read()) yield* d.push(piece);
        d.end();
      },
      discard: () => staged.discard(),
    };
    const deliver = async () => {
      try {
        await this.deliver(s.rangeId, s.from, s.msgTerm, snapshot);
      } catch (e) {
        snapshot.discard();
        throw e;
      }
    };
    return deliver();
  }

  /** Runs `fn` on the session; a failure drops it and what it staged. */
  private withSession<T>(key: string, fn: (s: Session) => T): T {
    const s = this.sessions.get(key);
    if (!s) throw bad("unknown session");
    s.lastMs = this.clock.monotonicMs();
    try {
      return fn(s);
    } catch (e) {
      this.sessions.delete(key);
      s.staged.discard();
      throw e;
    }
  }

  private begin(key: string, req: Extract<SnapshotRequest, { phase: "begin" }>, from: NodeId) {
    const now = this.clock.monotonicMs();
    for (const [k, s] of this.sessions) {
      if (now - s.lastMs < SNAPSHOT_SESSION_IDLE_MS) continue;
      this.sessions.delete(k);
      s.staged.discard();
    }
    const previous = this.sessions.get(key);
    if (previous) {
      this.sessions.delete(key);
      previous.staged.discard();
    }
    while (this.sessions.size >= SNAPSHOT_SESSIONS_MAX) {
      const [oldestKey, oldest] = this.sessions.entries().next().value as [string, Session];
      this.sessions.delete(oldestKey);
      oldest.staged.discard();
    }
    const c = req.confState as ConfState;
    const meta: SnapshotMetadata = {
      index: logIndex(req.index),
      term: toTerm(req.snapTerm),
      confState: {
        voters: [...c.voters],
        learners: [...c.learners],
        votersOutgoing: [...c.votersOutgoing],
        learnersNext: [...c.learnersNext],
        autoLeave: c.autoLeave,
      },
    };
    const rangeId = toRangeId(req.rangeId);
    this.sessions.set(key, {
      from,
      rangeId,
      msgTerm: req.term,
      meta,
      staged: this.staging.create(),
      decoder: new SnapshotDecoder(),
      records: [],
      recordKeys: rangeRecordKeys(rangeId),
      early: new Map(),
      chunks: 0,
      keys: 0,
      lastMs: now,
    });
    return true;
  }
}

function bad(what: string): TesseraError {
  return new TesseraError("INVALID_ARGUMENT", `snapshot session: ${what}`);
}
