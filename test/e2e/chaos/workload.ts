/**
 * The chaos clients: each has one ioredis connection (no retries, no offline
 * queue, a short command timeout) to a random node, and issues one request at
 * a time until the run ends: GET/SET on a few register keys, INCR and GET on
 * counter keys, and SETs of keys written once with a unique value (the
 * "unique writes" read back at the end to find lost acknowledged writes).
 *
 * Every request is recorded in a `HistoryRecorder` on `performance.now()`:
 * invoked just before it is sent, then `ok` with the reply, `fail` or `info`
 * as outcome.ts decides. A client whose connection broke, or that could not
 * trust it any more (a timeout), reconnects to a random node; now and then
 * it moves to another node anyway, so every node serves and forwards.
 */
import { Redis } from "ioredis";
import { SeededRng } from "../../../src/lib/index.js";
import {
  HistoryRecorder,
  type KvInput,
  type KvOutput,
  type Operation,
  UNKNOWN,
} from "../../lincheck/index.js";
import { dropsConnection, isRefusal, outcomeOf } from "./outcome.js";

export interface WorkloadOptions {
  readonly clientCount: number;
  readonly seed: number;
  /** Register and counter key names; each is used for one epoch, then the next (see `epochMs`). */
  readonly registerKeys: readonly string[];
  readonly counterKeys: readonly string[];
  /**
   * How long the clients use one generation of the register and counter
   * keys. Fresh keys keep each key's history short enough for the checker:
   * INCRs of unknown outcome commute, and a long history of them on one key
   * makes its search space grow with the subsets of those pending.
   */
  readonly epochMs: number;
  readonly commandTimeoutMs: number;
  /** The RESP port of node `index` (a killed node keeps its port). */
  readonly portOf: (index: number) => number;
  readonly nodeCount: number;
}

export interface Tally {
  ok: number;
  fail: number;
  info: number;
}

export class Workload {
  readonly recorder = new HistoryRecorder<KvInput, KvOutput>(() => performance.now());
  readonly tally: Tally = { ok: 0, fail: 0, info: 0 };
  /** Per command, how its requests ended. */
  readonly tallyByCmd = new Map<string, Tally>();
  /** Writes the server refused (recorded as "fail"), kept to re-check them as unknown. */
  readonly refusedWrites: Operation<KvInput, KvOutput>[] = [];
  /** Unique writes: key → value, by how they ended. */
  readonly uniqueAcked = new Map<string, string>();
  readonly uniqueUnknown = new Map<string, string>();
  /** INCRs per counter key, acknowledged and of unknown outcome. */
  readonly incrAcked = new Map<string, number>();
  readonly incrUnknown = new Map<string, number>();
  /** Client ids by read consistency, for the report. */
  readonly consistencyOf = new Map<number, "strong" | "quorum">();
  /** Register and counter keys the clients used (every generation). */
  readonly registersUsed = new Set<string>();
  readonly countersUsed = new Set<string>();
  private connects = 0;
  private startMs = 0;

  constructor(private readonly o: WorkloadOptions) {}

  get connectCount(): number {
    return this.connects;
  }

  /** Runs every client until `untilMs` (on performance.now()). */
  async run(untilMs: number): Promise<void> {
    this.startMs = performance.now();
    const clients = Array.from({ length: this.o.clientCount }, (_, id) =>
      this.runClient(id, untilMs),
    );
    await Promise.all(clients);
  }

  private async runClient(id: number, untilMs: number): Promise<void> {
    const rng = new SeededRng((this.o.seed ^ Math.imul(id + 1, 0x9e3779b1)) >>> 0);
    const consistency = id % 2 === 0 ? "strong" : "quorum";
    this.consistencyOf.set(id, consistency);
    let conn: Redis | undefined;
    let seq = 0;
    try {
      while (performance.now() < untilMs) {
        if (conn === undefined || conn.status !== "ready" || rng.intn(200) === 0) {
          conn?.disconnect();
          conn = await this.connect(rng, consistency);
          if (conn === undefined) {
            await sleep(50 + rng.intn(100));
            continue;
          }
        }
        const input = this.nextInput(rng, id, seq++);
        if (!(await this.perform(conn, id, input))) {
          conn.disconnect();
          conn = undefined;
        }
      }
    } finally {
      conn?.disconnect();
    }
  }

  private nextInput(rng: SeededRng, id: number, seq: number): KvInput {
    const epoch = Math.floor((performance.now() - this.startMs) / this.o.epochMs);
    const pick = (names: readonly string[], into: Set<string>): string => {
      const key = `${names[rng.intn(names.length)]!}:${epoch}`;
      into.add(key);
      return key;
    };
    const r = rng.intn(100);
    if (r < 35) return { cmd: "GET", key: pick(this.o.registerKeys, this.registersUsed) };
    if (r < 65) {
      return {
        cmd: "SET",
        key: pick(this.o.registerKeys, this.registersUsed),
        value: `${id}-${seq}`,
      };
    }
    if (r < 80) return { cmd: "INCR", key: pick(this.o.counterKeys, this.countersUsed) };
    if (r < 85) return { cmd: "GET", key: pick(this.o.counterKeys, this.countersUsed) };
    return { cmd: "SET", key: `chaos:u:${id}:${seq}`, value: `u-${id}-${seq}` };
  }

  /** Sends one request and records it; false if the connection is no longer to be used. */
  private async perform(conn: Redis, clientId: number, input: KvInput): Promise<boolean> {
    const isWrite = input.cmd !== "GET";
    const callMs = performance.now();
    const id = this.recorder.invoke(clientId, input);
    try {
      const output = await send(conn, input);
      this.recorder.ok(id, output);
      this.count(input, "ok");
      return true;
    } catch (e) {
      const outcome = outcomeOf(e, isWrite);
      if (outcome === "fail") this.recorder.fail(id);
      else this.recorder.info(id);
      this.count(input, outcome);
      if (isWrite && isRefusal(e)) {
        this.refusedWrites.push({
          clientId,
          input,
          output: UNKNOWN,
          call: callMs,
          return: Number.POSITIVE_INFINITY,
        });
      }
      return !dropsConnection(e);
    }
  }

  private count(input: KvInput, outcome: keyof Tally): void {
    this.tally[outcome]++;
    const name = input.key.startsWith("chaos:u:") ? "SET unique" : input.cmd;
    const t = this.tallyByCmd.get(name) ?? { ok: 0, fail: 0, info: 0 };
    t[outcome]++;
    this.tallyByCmd.set(name, t);
    if (input.cmd === "INCR" && outcome !== "fail") {
      const m = outcome === "ok" ? this.incrAcked : this.incrUnknown;
      m.set(input.key, (m.get(input.key) ?? 0) + 1);
    }
    if (input.cmd === "SET" && name === "SET unique" && outcome !== "fail") {
      (outcome === "ok" ? this.uniqueAcked : this.uniqueUnknown).set(input.key, input.value);
    }
  }

  private async connect(rng: SeededRng, consistency: string): Promise<Redis | undefined> {
    const c = chaosClient(this.o.portOf(rng.intn(this.o.nodeCount)), this.o.commandTimeoutMs);
    this.connects++;
    try {
      await c.connect();
      await c.call("CLIENT", "CONSISTENCY", consistency);
      return c;
    } catch {
      c.disconnect();
      return undefined;
    }
  }
}

/** A client as the chaos run wants it: fails fast, never queues nor retries by itself. */
export function chaosClient(port: number, commandTimeoutMs: number): Redis {
  const c = new Redis({
    port,
    host: "127.0.0.1",
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: 1_000,
    commandTimeout: commandTimeoutMs,
  });
  c.on("error", () => {});
  return c;
}

export async function send(conn: Redis, input: KvInput): Promise<KvOutput> {
  switch (input.cmd) {
    case "GET":
      return conn.get(input.key);
    case "SET":
      return conn.set(input.key, input.value);
    case "INCR":
      return conn.incr(input.key);
    default:
      throw new Error(`the chaos workload does not send ${input.cmd}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
