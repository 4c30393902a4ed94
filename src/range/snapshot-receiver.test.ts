/**
 * The follower's side of a snapshot stream: chunks are staged as they come
 * (a file on a node), never gathered in memory; the range's own records are
 * picked out on the way; a broken, stale or abandoned session frees what it
 * staged.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  type Clock,
  isTesseraError,
  type NodeId,
  nodeId,
  type RangeId,
  rangeDescriptorKey,
} from "../lib/index.js";
import type { CallContext } from "../transport/index.js";
import { encodeSnapshot } from "./snapshot-codec.js";
import {
  type IncomingSnapshot,
  SNAPSHOT_CHUNKS_EARLY_MAX,
  SNAPSHOT_SESSION_IDLE_MS,
  SnapshotReceiver,
} from "./snapshot-receiver.js";
import type { SnapshotRequest } from "./snapshot-sender.js";
import {
  FileSnapshotStaging,
  MemorySnapshotStaging,
  type SnapshotStaging,
} from "./snapshot-staging.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const b = (s: string) => new TextEncoder().encode(s);
const RANGE = 7;
const entries = [
  ...Array.from({ length: 40 }, (_, i) => ({
    key: b(`key-${String(i).padStart(3, "0")}`),
    value: new Uint8Array(200).fill(i),
  })),
  { key: rangeDescriptorKey(RANGE), value: b("descriptor bytes") },
];
const CONF = {
  voters: [1, 2],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
};
const ctx = { from: nodeId(2) } as CallContext;

function setup(staging: SnapshotStaging) {
  let nowMs = 0;
  const clock: Clock = { nowMs: () => nowMs, monotonicMs: () => nowMs };
  const delivered: { rangeId: RangeId; from: NodeId; snapshot: IncomingSnapshot }[] = [];
  const receiver = new SnapshotReceiver(staging, clock, (rangeId, from, _term, snapshot) => {
    delivered.push({ rangeId, from, snapshot });
  });
  return {
    receiver,
    delivered,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

/** Sends a stream's begin and chunks (`swapped`: each pair of chunks in reverse order). */
async function send(receiver: SnapshotReceiver, id: string, chunkBytes = 1000, swapped = false) {
  const enc = encodeSnapshot(entries, chunkBytes);
  const begin: SnapshotRequest = {
    phase: "begin",
    id,
    rangeId: RANGE,
    term: 3,
    index: 40,
    snapTerm: 2,
    confState: CONF,
  };
  await receiver.handle(begin, ctx);
  const order = enc.chunkList.map((_, seq) => seq);
  if (swapped) {
    for (let i = 0; i + 1 < order.length; i += 2)
      [order[i], order[i + 1]] = [order[i + 1]!, order[i]!];
  }
  for (const seq of order) {
    const c = enc.chunkList[seq]!;
    await receiver.handle({ phase: "chunk", id, seq, data: c.data, crc: c.crc }, ctx);
  }
  return enc;
}

describe("SnapshotReceiver", () => {
  for (const [name, make] of [
    ["in memory", () => new MemorySnapshotStaging()],
    [
      "in files",
      () => {
        const dir = mkdtempSync(join(tmpdir(), "tessera-staging-"));
        dirs.push(dir);
        return new FileSnapshotStaging(join(dir, "incoming"));
      },
    ],
  ] as const) {
    it(`stages a stream ${name} and hands over its entries and records`, async () => {
      const staging = make();
      const { receiver, delivered } = setup(staging);
      const enc = await send(receiver, "s1");
      assert.equal(delivered.length, 0, "nothing is delivered before the commit");
      await receiver.handle(
        { phase: "commit", id: "s1", chunks: enc.chunks, bytes: enc.bytes, crc: enc.crc },
        ctx,
      );
      const got = delivered[0]!;
      assert.equal(got.rangeId, RANGE);
      assert.equal(got.snapshot.meta.index, 40);
      assert.equal(got.snapshot.keys, entries.length);
      assert.deepEqual(got.snapshot.record(rangeDescriptorKey(RANGE)), b("descriptor bytes"));
      assert.equal(got.snapshot.record(b("key-001")), undefined, "only the range's own records");
      assert.deepEqual([...got.snapshot.entries()], entries);
      assert.deepEqual([...got.snapshot.entries()], entries, "read again, the same");
      assert.equal(staging.open, 1);
      got.snapshot.discard();
      got.snapshot.discard();
      assert.equal(staging.open, 0);
      assert.throws(() => [...got.snapshot.entries()], /after discard/);
    });
  }

  it("puts chunks a network reordered back in order", async () => {
    const { receiver, delivered } = setup(new MemorySnapshotStaging());
    const enc = await send(receiver, "r", 200, true);
    assert.ok(enc.chunks >= 4, "the stream has chunks to reorder");
    await receiver.handle(
      { phase: "commit", id: "r", chunks: enc.chunks, bytes: enc.bytes, crc: enc.crc },
      ctx,
    );
    assert.deepEqual([...delivered[0]!.snapshot.entries()], entries);
  });

  it("drops a session whose chunk comes out of order or whose commit does not add up", async () => {
    const staging = new MemorySnapshotStaging();
    const { receiver, delivered } = setup(staging);
    const enc = encodeSnapshot(entries, 1000);
    await receiver.handle(
      { phase: "begin", id: "s", rangeId: RANGE, term: 3, index: 40, snapTerm: 2, confState: CONF },
      ctx,
    );
    const c = enc.chunkList[1]!;
    // A chunk a little early waits for its turn; one too far ahead ends the session.
    await receiver.handle({ phase: "chunk", id: "s", seq: 1, data: c.data, crc: c.crc }, ctx);
    await assert.rejects(
      receiver.handle(
        { phase: "chunk", id: "s", seq: SNAPSHOT_CHUNKS_EARLY_MAX, data: c.data, crc: c.crc },
        ctx,
      ),
      (e) => isTesseraError(e, "INVALID_ARGUMENT") && /out of order/.test(e.message),
    );
    assert.equal(staging.open, 0);
    await assert.rejects(
      receiver.handle({ phase: "chunk", id: "s", seq: 0, data: c.data, crc: c.crc }, ctx),
      /unknown session/,
    );

    const sent = await send(receiver, "t");
    await assert.rejects(
      receiver.handle(
        { phase: "commit", id: "t", chunks: sent.chunks + 1, bytes: sent.bytes, crc: sent.crc },
        ctx,
      ),
      /incomplete/,
    );
    await send(receiver, "u");
    await assert.rejects(
      receiver.handle(
        { phase: "commit", id: "u", chunks: sent.chunks, bytes: sent.bytes, crc: sent.crc ^ 1 },
        ctx,
      ),
      (e) => isTesseraError(e, "CORRUPTION"),
    );
    assert.equal(delivered.length, 0);
    assert.equal(staging.open, 0);
    assert.equal(receiver.sessionsOpen, 0);
  });

  it("refuses a damaged chunk", async () => {
    const staging = new MemorySnapshotStaging();
    const { receiver } = setup(staging);
    const enc = encodeSnapshot(entries, 1000);
    await receiver.handle(
      { phase: "begin", id: "s", rangeId: RANGE, term: 3, index: 40, snapTerm: 2, confState: CONF },
      ctx,
    );
    const data = enc.chunkList[0]!.data.slice();
    data[5]! ^= 0x40;
    await assert.rejects(
      receiver.handle({ phase: "chunk", id: "s", seq: 0, data, crc: enc.chunkList[0]!.crc }, ctx),
      (e) => isTesseraError(e, "CORRUPTION"),
    );
    assert.equal(staging.open, 0);
  });

  it("frees sessions left idle, and every session when it closes", async () => {
    const staging = new MemorySnapshotStaging();
    const { receiver, advance } = setup(staging);
    await send(receiver, "abandoned");
    advance(SNAPSHOT_SESSION_IDLE_MS + 1);
    await send(receiver, "fresh");
    assert.equal(receiver.sessionsOpen, 1, "the idle session went when another began");
    assert.equal(staging.open, 1);
    receiver.close();
    assert.equal(staging.open, 0);
  });

  it("empties the staging directory when a node starts", () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-staging-"));
    dirs.push(dir);
    const incoming = join(dir, "incoming");
    mkdirSync(incoming);
    writeFileSync(join(incoming, "old.stream"), "left by a crash");
    const staging = new FileSnapshotStaging(incoming);
    assert.deepEqual(readdirSync(incoming), []);
    const s = staging.create();
    s.append(b("abc"));
    assert.equal(readdirSync(incoming).length, 1);
    s.discard();
    assert.deepEqual(readdirSync(incoming), []);
    assert.ok(existsSync(incoming));
  });
});
