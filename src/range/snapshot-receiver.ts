/**
 * The follower's side of a snapshot: the `range.snapshot` bus method. A
 * session (begin) collects the chunks in order, each checked against its
 * CRC-32C; the commit checks the stream's CRC-32C, decodes the data and
 * delivers the whole snapshot to the range's replica (created uninitialized
 * if this node has none yet), which installs it in one store batch when Raft
 * accepts it. Sessions are bounded in number and bytes; a session past its
 * declared size or out of order fails (the leader retries later).
 */
import {
  assert,
  logIndex,
  type NodeId,
  type RangeId,
  TesseraError,
  rangeId as toRangeId,
  term as toTerm,
} from "../lib/index.js";
import type { ConfState, SnapshotMetadata } from "../raft/index.js";
import type { SpanEntry } from "../storage/index.js";
import type { CallContext } from "../transport/index.js";
import { checkChunk, decodeSnapshot, SNAPSHOT_CHUNK_BYTES_MAX } from "./snapshot-codec.js";
import type { SnapshotRequest } from "./snapshot-sender.js";

/** Most snapshot sessions open at once; the oldest is dropped past it. */
export const SNAPSHOT_SESSIONS_MAX = 8;
/** Largest snapshot a node accepts. */
export const SNAPSHOT_BYTES_MAX = 4 * 1024 * 1024 * 1024;

export type SnapshotDelivery = (
  rangeId: RangeId,
  from: NodeId,
  msgTerm: number,
  meta: SnapshotMetadata,
  data: SpanEntry[],
) => void;

interface Session {
  readonly from: NodeId;
  readonly rangeId: RangeId;
  readonly msgTerm: number;
  readonly meta: SnapshotMetadata;
  readonly chunksExpected: number;
  readonly bytesExpected: number;
  readonly parts: Uint8Array[];
  bytes: number;
}

export class SnapshotReceiver {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly deliver: SnapshotDelivery) {}

  async handle(request: unknown, ctx: CallContext): Promise<unknown> {
    const req = request as SnapshotRequest;
    const key = `${ctx.from}:${String(req.id)}`;
    switch (req.phase) {
      case "begin":
        return this.begin(key, req, ctx.from);
      case "chunk": {
        const s = this.session(key);
        if (req.seq !== s.parts.length) throw bad(`chunk ${req.seq} out of order`);
        const data = new Uint8Array(req.data);
        if (data.byteLength > SNAPSHOT_CHUNK_BYTES_MAX) throw bad("chunk too large");
        checkChunk({ data, crc: req.crc });
        s.bytes += data.byteLength;
        if (s.bytes > s.bytesExpected) throw bad("more bytes than declared");
        s.parts.push(data);
        return true;
      }
      case "commit": {
        const s = this.session(key);
        this.sessions.delete(key);
        if (s.parts.length !== s.chunksExpected || s.bytes !== s.bytesExpected)
          throw bad("incomplete");
        const data = decodeSnapshot(s.parts, req.crc);
        this.deliver(s.rangeId, s.from, s.msgTerm, s.meta, data);
        return true;
      }
      default:
        throw bad("unknown phase");
    }
  }

  private begin(key: string, req: Extract<SnapshotRequest, { phase: "begin" }>, from: NodeId) {
    if (req.bytes > SNAPSHOT_BYTES_MAX)
      throw new TesseraError("LIMIT_EXCEEDED", `snapshot of ${req.bytes} bytes refused`);
    if (this.sessions.size >= SNAPSHOT_SESSIONS_MAX) {
      const oldest = this.sessions.keys().next().value;
      assert(oldest !== undefined, "sessions are not empty");
      this.sessions.delete(oldest);
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
    this.sessions.set(key, {
      from,
      rangeId: toRangeId(req.rangeId),
      msgTerm: req.term,
      meta,
      chunksExpected: req.chunks,
      bytesExpected: req.bytes,
      parts: [],
      bytes: 0,
    });
    return true;
  }

  private session(key: string): Session {
    const s = this.sessions.get(key);
    if (!s) throw bad("unknown session");
    return s;
  }
}

function bad(what: string): TesseraError {
  return new TesseraError("INVALID_ARGUMENT", `snapshot session: ${what}`);
}
