/**
 * Crash safety of acknowledged writes (DESIGN.md §5: acknowledged = committed
 * and fsynced). A writer sends SETs with unique values and records every one
 * the server acknowledged; the server is killed with SIGKILL in the middle of
 * the load and restarted on the same data directory; every acknowledged write
 * must be there, and no key may hold a value that was never sent. Repeated a
 * few times on one directory, so recovery also recovers earlier recoveries.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { type NodeProcess, startNode, stopAll, tempDataDir } from "../support/process.js";

after(stopAll);

const ROUNDS = 3;
const WRITERS = 8;
const KEYS = 200;

interface History {
  /** key → values acknowledged, in order. */
  readonly acked: Map<string, string[]>;
  /** Every value ever sent. */
  readonly sent: Set<string>;
}

/** Runs WRITERS clients doing SETs until the server dies; resolves with what they saw. */
async function loadUntilKilled(
  node: NodeProcess,
  round: number,
  history: History,
  killAfterMs: number,
): Promise<number> {
  let ackedThisRound = 0;
  let stop = false;
  const writer = async (w: number) => {
    const client = new Redis({
      port: node.respPort,
      host: "127.0.0.1",
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    client.on("error", () => {});
    await client.connect();
    for (let i = 0; !stop; i++) {
      const key = `key:${(w * 7919 + i) % KEYS}`;
      const value = `r${round}-w${w}-i${i}`;
      history.sent.add(value);
      try {
        // Pipelined pairs exercise group commit, as real clients do.
        const p = client.set(key, value);
        await p;
        const list = history.acked.get(key) ?? [];
        list.push(value);
        history.acked.set(key, list);
        ackedThisRound++;
      } catch {
        stop = true;
      }
    }
    client.disconnect();
  };
  const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
  await new Promise((r) => setTimeout(r, killAfterMs));
  node.kill("SIGKILL");
  await node.waitExit();
  stop = true;
  await Promise.all(writers);
  return ackedThisRound;
}

describe("crash safety (kill -9 under load)", () => {
  it("keeps every acknowledged write and invents none, across repeated kills", async () => {
    const dataDir = tempDataDir("tessera-crash-");
    const history: History = { acked: new Map(), sent: new Set() };
    for (let round = 0; round < ROUNDS; round++) {
      const node = await startNode({ dataDir });
      const acked = await loadUntilKilled(node, round, history, 700 + round * 300);
      assert.ok(acked > 0, `round ${round}: no write was acknowledged before the kill`);
      const again = await startNode({ dataDir });
      const client = new Redis({ port: again.respPort, host: "127.0.0.1", lazyConnect: true });
      await client.connect();
      for (const [key, values] of history.acked) {
        const got = await client.get(key);
        assert.ok(got !== null, `${key}: acknowledged ${values.at(-1)} but the key is gone`);
        assert.ok(history.sent.has(got), `${key}: holds ${got}, which no client sent`);
        // The last acknowledged value, or a later one that was sent but whose
        // acknowledgement was cut off by the kill.
        const lastAcked = values.at(-1)!;
        if (got !== lastAcked) {
          const [r1, w1, i1] = parse(lastAcked);
          const [r2, w2, i2] = parse(got);
          assert.ok(
            r2 > r1 || (r2 === r1 && (w2 !== w1 || i2 > i1)),
            `${key}: holds ${got}, older than acknowledged ${lastAcked}`,
          );
        }
      }
      client.disconnect();
      await again.stop();
    }
  });
});

function parse(v: string): [number, number, number] {
  const m = /^r(\d+)-w(\d+)-i(\d+)$/.exec(v);
  assert.ok(m, `malformed value ${v}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}
