/**
 * The workload: concurrent simulated clients issuing string commands on a few
 * hot keys through random nodes, each operation recorded in a
 * `HistoryRecorder` on simulated time. An operation's fate:
 * - `ok` with the reply when a reply came;
 * - `fail` when the error proves it did not happen (the node was down,
 *   refused before proposing: NOT_LEADER, PROPOSAL_DROPPED, UNAVAILABLE, or
 *   saw another leader's entry commit where its own was: PROPOSAL_DROPPED),
 *   and for every failed read (a read changes nothing);
 * - `info` (unknown) otherwise: a timeout, a crash of the node serving it, a
 *   client deadline.
 */
import { testCommands as cmd, type KvReply, plainReply } from "../../src/kv/index.js";
import { isTesseraError, type SeededRng } from "../../src/lib/index.js";
import { HistoryRecorder, type KvInput, type KvOutput } from "../lincheck/index.js";
import type { SimNode } from "./sim-node.js";
import { OP_KINDS, type OpKind, type SwarmConfig } from "./swarm.js";
import type { World } from "./world.js";

/** Errors that prove a write never took effect. */
const NOT_HAPPENED = new Set(["NOT_LEADER", "PROPOSAL_DROPPED", "UNAVAILABLE"]);
const CLIENT_DEADLINE_MS = 5000;

export class Workload {
  readonly recorder: HistoryRecorder<KvInput, KvOutput>;
  private active = true;
  private counter = 0;
  opsOk = 0;
  opsFail = 0;
  opsInfo = 0;
  private inflight = 0;

  constructor(
    private readonly world: World,
    private readonly rng: SeededRng,
    private readonly nodes: readonly SimNode[],
    private readonly swarm: SwarmConfig,
  ) {
    this.recorder = new HistoryRecorder(() => world.nowMs);
  }

  start(): void {
    for (let c = 0; c < this.swarm.clients; c++) this.next(c, this.rng.intn(20));
  }

  stop(): void {
    this.active = false;
  }

  get idle(): boolean {
    return this.inflight === 0;
  }

  /** One final read of every key, through `node`, so lost writes show in the history. */
  finalReads(node: SimNode, clientBase: number): void {
    for (let k = 0; k < this.swarm.keys; k++) {
      this.issue(clientBase + k, { cmd: "GET", key: `k${k}` }, node, () => {});
    }
  }

  private next(client: number, delayMs: number): void {
    this.world.after(delayMs, `c${client}`, "think", () => {
      if (!this.active) return;
      const node = this.nodes[this.rng.intn(this.nodes.length)] as SimNode;
      this.issue(client, this.draw(), node, () =>
        this.next(client, this.rng.intn(this.swarm.thinkMsMax + 1)),
      );
    });
  }

  private issue(client: number, input: KvInput, node: SimNode, then: () => void): void {
    const id = this.recorder.invoke(client, input);
    this.world.note(`c${client}`, `invoke ${describe(input)} at n${node.id}`);
    this.inflight++;
    let done = false;
    const finish = (fate: "ok" | "fail" | "info", output?: KvOutput): void => {
      if (done) return;
      done = true;
      this.inflight--;
      deadline.cancel();
      this.world.note(
        `c${client}`,
        `${fate} ${describe(input)} ${fate === "ok" ? show(output) : ""}`,
      );
      if (fate === "ok") {
        this.opsOk++;
        this.recorder.ok(id, output as KvOutput);
      } else if (fate === "fail") {
        this.opsFail++;
        this.recorder.fail(id);
      } else {
        this.opsInfo++;
        this.recorder.info(id);
      }
      then();
    };
    const deadline = this.world.after(CLIENT_DEADLINE_MS, `c${client}`, "deadline", () =>
      finish(isRead(input) ? "fail" : "info"),
    );
    const runtime = node.runtime;
    if (runtime === undefined) {
      // Connection refused: nothing was sent.
      this.world.after(1, `c${client}`, "refused", () => finish("fail"));
      return;
    }
    const send = (): void => {
      const p = isRead(input) ? runtime.read(cmd.get(input.key)) : runtime.write(toWrite(input));
      p.then(
        (reply) => finish("ok", toOutput(reply)),
        (e: unknown) => {
          if (isRead(input)) finish("fail");
          else finish(isTesseraError(e) && NOT_HAPPENED.has(e.code) ? "fail" : "info");
        },
      );
    };
    // A stopped node reads the request when it resumes, among what else
    // arrived meanwhile: in the order it came, or (as the event loop may pick
    // the client's socket first) before all of it, its late timers included.
    const owner = `n${node.id}`;
    const until = this.world.stalledUntil(owner);
    if (until === undefined) {
      send();
      return;
    }
    const incarnation = node.incarnation;
    const first = this.rng.float() < 0.5;
    const at = first ? until - 0.001 : until;
    this.world.at(at, first ? `c${client}` : owner, `request from c${client}`, () => {
      // Killed meanwhile: the request died unread with the connection.
      if (node.incarnation !== incarnation || node.runtime !== runtime) finish("fail");
      else send();
    });
  }

  private draw(): KvInput {
    const w = this.swarm.opWeights;
    let total = 0;
    for (const k of OP_KINDS) total += w[k];
    let r = this.rng.intn(total);
    let kind: OpKind = "GET";
    for (const k of OP_KINDS) {
      if (r < w[k]) {
        kind = k;
        break;
      }
      r -= w[k];
    }
    const key = `k${this.rng.intn(this.swarm.keys)}`;
    const value = `${this.counter++}`;
    switch (kind) {
      case "GET":
        return { cmd: "GET", key };
      case "SET":
        return { cmd: "SET", key, value };
      case "SETNX":
        return { cmd: "SET", key, value, cond: "NX" };
      case "INCR":
        return { cmd: "INCR", key };
      case "APPEND":
        return { cmd: "APPEND", key, value: `${value.length % 10}` };
      case "DEL":
        return { cmd: "DEL", key };
      case "GETSET":
        return { cmd: "GETSET", key, value };
    }
  }
}

const isRead = (i: KvInput): i is Extract<KvInput, { cmd: "GET" }> => i.cmd === "GET";

function toWrite(i: Exclude<KvInput, { cmd: "GET" }>) {
  switch (i.cmd) {
    case "SET":
      return cmd.set(i.key, i.value, i.cond ? { cond: i.cond === "NX" ? "nx" : "xx" } : {});
    case "GETSET":
      return cmd.set(i.key, i.value, { get: true });
    case "DEL":
      return cmd.del(i.key);
    case "INCR":
      return cmd.incrby(i.key, 1n);
    case "APPEND":
      return cmd.append(i.key, i.value);
  }
}

function toOutput(r: KvReply): KvOutput {
  const p = plainReply(r);
  if (p !== null && typeof p === "object" && !Array.isArray(p)) return { error: p.error as never };
  if (Array.isArray(p)) throw new Error("an array reply to a single-key command");
  return p;
}

function describe(i: KvInput): string {
  return `${i.cmd} ${i.key}${"value" in i ? ` ${i.value}` : ""}${"cond" in i && i.cond ? ` ${i.cond}` : ""}`;
}

function show(o: KvOutput | undefined): string {
  if (o === null) return "nil";
  if (typeof o === "object") return JSON.stringify(o);
  return String(o);
}
