/**
 * The real Tessera cluster a chaos run drives: node processes on loopback
 * with fault injection enabled, each in a slot that keeps its data directory
 * and ports across kills, so a restarted node comes back where it was.
 *
 * The slot knows whether its process is up, killed or paused, and which bus
 * partition the nemesis wants it under; after a restart or a resume that
 * partition is sent to it again, because a node keeps its fault rules only in
 * memory and a paused one cannot take a command. Every wait is bounded.
 */
import { Redis } from "ioredis";
import {
  type Cluster,
  clusterStatus,
  restart,
  startCluster,
  waitFor,
} from "../../support/cluster.js";
import type { NodeProcess } from "../../support/process.js";

export type SlotState = "up" | "killed" | "paused";

export interface NotServing {
  readonly index: number;
  readonly nodeId: number;
  readonly error: string;
}

export interface Slot {
  readonly index: number;
  proc: NodeProcess;
  state: SlotState;
  /** Node ids this node must not talk to (empty: healed). */
  cutFrom: readonly number[];
}

const ADMIN_TIMEOUT_MS = 2_000;
const RESTART_ATTEMPTS_MAX = 3;
const FAULT_ATTEMPTS_MAX = 5;

/** Tessera's own bounds, shorter than the clients' so most failures come back as replies. */
export const SERVER_TIMEOUT_MS = 2_000;

export class ChaosCluster {
  private constructor(
    private readonly cluster: Cluster,
    readonly slots: Slot[],
  ) {}

  static async start(nodeCount: number): Promise<ChaosCluster> {
    const cluster = await startCluster(nodeCount, {
      args: [
        "--enable-fault-injection",
        "--proposal-timeout-ms",
        String(SERVER_TIMEOUT_MS),
        "--read-timeout-ms",
        String(SERVER_TIMEOUT_MS),
      ],
      replicatedTimeoutMs: 90_000,
    });
    const slots = cluster.nodes.map(
      (proc, index): Slot => ({ index, proc, state: "up", cutFrom: [] }),
    );
    return new ChaosCluster(cluster, slots);
  }

  get nodeIds(): number[] {
    return this.slots.map((s) => s.proc.nodeId);
  }

  respPortOf(index: number): number {
    return this.slots[index]!.proc.respPort;
  }

  kill(index: number): void {
    const s = this.slots[index]!;
    s.proc.kill("SIGKILL");
    s.state = "killed";
  }

  /** Restarts a killed node on its data directory and ports; retries a few times. */
  async restart(index: number): Promise<void> {
    const s = this.slots[index]!;
    await s.proc.waitExit();
    let last: unknown;
    for (let i = 0; i < RESTART_ATTEMPTS_MAX; i++) {
      try {
        s.proc = await restart(this.cluster, s.proc, { keepPorts: true, readyTimeoutMs: 30_000 });
        s.state = "up";
        await this.sendFaults(s);
        return;
      } catch (e) {
        last = e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    throw new Error(`node #${index} did not restart: ${String(last)}`);
  }

  pause(index: number): void {
    const s = this.slots[index]!;
    s.proc.kill("SIGSTOP");
    s.state = "paused";
  }

  async resume(index: number): Promise<void> {
    const s = this.slots[index]!;
    s.proc.kill("SIGCONT");
    s.state = "up";
    await this.sendFaults(s);
  }

  /** Cuts `side` (indexes) off from every other node, telling both sides (symmetric). */
  async partition(side: readonly number[]): Promise<void> {
    const ids = this.nodeIds;
    const inSide = new Set(side);
    const sideIds = side.map((i) => ids[i]!);
    const restIds = ids.filter((_, i) => !inSide.has(i));
    for (const s of this.slots) s.cutFrom = inSide.has(s.index) ? restIds : sideIds;
    await Promise.all(this.slots.map((s) => this.sendFaults(s)));
  }

  async heal(): Promise<void> {
    for (const s of this.slots) s.cutFrom = [];
    await Promise.all(this.slots.map((s) => this.sendFaults(s)));
  }

  /** The node id leading the first data range (the meta range if there is none), if known. */
  async leaderId(): Promise<number | undefined> {
    for (const s of this.slots) {
      if (s.state !== "up") continue;
      try {
        const status = await withTimeout(clusterStatus(s.proc), ADMIN_TIMEOUT_MS);
        const data = status.ranges.filter((r) => r.rangeId !== 1);
        const r = data[0] ?? status.ranges[0];
        if (r !== undefined && r.leaderId !== 0) return r.leaderId;
      } catch {
        // try the next node
      }
    }
    return undefined;
  }

  /**
   * Brings every node back (restart, resume, heal), then waits until each
   * serves a write and a strong read. Returns the nodes that still did not
   * serve when the time ran out, each with its last error.
   */
  async healAll(timeoutMs: number): Promise<NotServing[]> {
    for (const s of this.slots) {
      if (s.state === "paused") await this.resume(s.index);
      if (s.state === "killed") await this.restart(s.index);
    }
    await this.heal();
    const results = await Promise.all(
      this.slots.map(async (s): Promise<NotServing | undefined> => {
        try {
          await waitFor(
            `node #${s.index} to serve`,
            async () =>
              admin(s.proc.respPort, async (c) => {
                await c.set(`chaos:probe:${s.index}`, "1");
                return (await c.get(`chaos:probe:${s.index}`)) === "1" ? true : undefined;
              }),
            timeoutMs,
            250,
          );
          return undefined;
        } catch (e) {
          return { index: s.index, nodeId: s.proc.nodeId, error: String(e) };
        }
      }),
    );
    return results.filter((r): r is NotServing => r !== undefined);
  }

  /** What each node says of its faults and of the ranges, for a report. */
  async describe(): Promise<string> {
    const lines: string[] = [];
    for (const s of this.slots) {
      try {
        const text = await admin(s.proc.respPort, async (c) => {
          const faults = String(await c.call("DEBUG", "FAULT", "STATUS"));
          const status = JSON.parse(String(await c.call("TESSERA", "STATUS"))) as {
            ranges: { rangeId: number; leaderId: number; voters: number[]; learners: number[] }[];
          };
          const ranges = status.ranges
            .map(
              (r) =>
                `r${r.rangeId} leader ${r.leaderId} voters [${r.voters}] learners [${r.learners}]`,
            )
            .join("; ");
          return `faults: ${faults}; ${ranges}`;
        });
        lines.push(`  node #${s.index} (id ${s.proc.nodeId}, ${s.state}): ${text}`);
      } catch (e) {
        lines.push(`  node #${s.index} (id ${s.proc.nodeId}, ${s.state}): ${String(e)}`);
      }
    }
    return lines.join("\n");
  }

  /** Sends the node its wanted partition (or HEAL); a node that is not up gets it when it is. */
  private async sendFaults(s: Slot): Promise<void> {
    const args = s.cutFrom.length > 0 ? ["PARTITION", ...s.cutFrom.map(String)] : ["HEAL"];
    let last: unknown;
    for (let i = 0; i < FAULT_ATTEMPTS_MAX; i++) {
      // A node killed or paused meanwhile gets its faults when it is back.
      if (s.state !== "up") return;
      try {
        await admin(s.proc.respPort, (c) => c.call("DEBUG", "FAULT", ...args));
        return;
      } catch (e) {
        last = e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new Error(`DEBUG FAULT ${args.join(" ")} on node #${s.index} failed: ${String(last)}`);
  }
}

/** Runs `fn` on a fresh short-lived admin connection to a node. */
export async function admin<T>(port: number, fn: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis({
    port,
    host: "127.0.0.1",
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: ADMIN_TIMEOUT_MS,
    commandTimeout: ADMIN_TIMEOUT_MS * 3,
  });
  c.on("error", () => {});
  try {
    await c.connect();
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
