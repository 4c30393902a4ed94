/**
 * One server process of a system under test, restartable on the same ports
 * and data directory (recovery and failover restart nodes). `spawn` starts
 * the process and returns at once (recovery times from that instant);
 * `start` also waits until the node's readiness probe passes. Every process
 * goes through the suite's child registry, so it is killed if the run ends.
 */
import { type Child, signalChild, spawnChild, stopChild } from "../support/children.js";
import { limitCpu } from "../support/cpu-quota.js";
import { WaitAbortedError, waitFor } from "../support/wait.js";

export interface NodeProcessSpec {
  readonly name: string;
  readonly host: string;
  /** The port clients use (RESP port, or etcd's client port). */
  readonly port: number;
  readonly dataDir: string;
  readonly command: string;
  /** Arguments for each start (may differ between the first start and restarts). */
  args(startCount: number): string[];
  /** Resolves true once the node serves; false or a throw means "not yet". */
  ready(child: Child): Promise<boolean>;
  readonly readyTimeoutMs: number;
  /** Where the process serves Prometheus metrics (Tessera's /metrics), if it does. */
  readonly metricsUrl?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** CPU time the process may use, in cores (a cgroup quota, cpu-quota.ts); unlimited if absent. */
  readonly cpuCores?: number;
}

export class NodeProcess {
  private child: Child | null = null;
  private starts = 0;

  constructor(readonly spec: NodeProcessSpec) {}

  get name(): string {
    return this.spec.name;
  }
  get host(): string {
    return this.spec.host;
  }
  get port(): number {
    return this.spec.port;
  }
  get dataDir(): string {
    return this.spec.dataDir;
  }

  pid(): number | undefined {
    return this.child !== null && !this.child.hasExited() ? this.child.pid : undefined;
  }

  isRunning(): boolean {
    return this.pid() !== undefined;
  }

  /** Starts the process without waiting for it to serve. */
  spawn(): void {
    if (this.isRunning()) throw new Error(`${this.name} is already running`);
    const args = this.spec.args(this.starts);
    this.starts++;
    const child = spawnChild(this.name, this.spec.command, args, {
      cwd: this.spec.cwd,
      env: this.spec.env ?? process.env,
    });
    this.child = child;
    const cores = this.spec.cpuCores;
    if (cores === undefined) return;
    try {
      // Before the process has done much: its threads, and those it starts, share the quota.
      const release = limitCpu(child.pid, cores);
      void child.exited.then(release);
    } catch (error) {
      signalChild(child, "SIGKILL");
      throw error;
    }
  }

  /** Waits until the readiness probe passes; fails early if the process exits. */
  async waitReady(timeoutMs = this.spec.readyTimeoutMs): Promise<void> {
    const child = this.child;
    if (child === null) throw new Error(`${this.name} was never started`);
    await waitFor(
      `${this.name} to serve`,
      async () => {
        if (child.hasExited()) {
          throw new WaitAbortedError(
            `${this.name} exited during start-up:\n${child.output().slice(-2000)}`,
          );
        }
        return (await this.spec.ready(child)) ? true : undefined;
      },
      timeoutMs,
      20,
    );
  }

  async start(): Promise<void> {
    this.spawn();
    await this.waitReady();
  }

  /** Sends `signal` and waits for the process to exit (SIGKILL after a grace period). */
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.child === null) return;
    if (signal === "SIGKILL") {
      signalChild(this.child, "SIGKILL");
      await this.child.exited;
    } else {
      await stopChild(this.child, signal, 10_000);
    }
  }

  async stop(): Promise<void> {
    await this.kill("SIGTERM");
  }

  /** The process's recent output, for error messages. */
  output(): string {
    return this.child?.output() ?? "";
  }
}
