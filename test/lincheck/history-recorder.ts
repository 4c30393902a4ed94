/**
 * Records a client history while a test runs, for the checker. Each call of a
 * client is `invoke`d before it is sent and completed once its fate is known:
 * `ok` with the reply, `fail` when it certainly did not take effect (it is
 * dropped from the history: a refusal before anything was proposed, say), or
 * `info` when its outcome is unknown (a timeout, a lost connection, a crash):
 * it may take effect at any time after its call, or never.
 *
 * Times come from a clock the caller supplies, so the simulator can record in
 * simulated time and a chaos test in process time; it must never go back.
 * Operations still open when the history is taken count as unknown.
 */
import { type Operation, UNKNOWN } from "./model.js";

interface Open<I> {
  readonly clientId: number;
  readonly input: I;
  readonly call: number;
}

export class HistoryRecorder<I, O> {
  private readonly open = new Map<number, Open<I>>();
  private readonly done: Operation<I, O>[] = [];
  private nextId = 0;
  private lastTime = Number.NEGATIVE_INFINITY;

  constructor(private readonly clock: () => number) {}

  /** Records the call of an operation; returns the id that completes it. */
  invoke(clientId: number, input: I): number {
    const id = this.nextId++;
    this.open.set(id, { clientId, input, call: this.now() });
    return id;
  }

  /** The operation returned `output`. */
  ok(id: number, output: O): void {
    const op = this.take(id);
    this.done.push({ ...op, output, return: this.now() });
  }

  /** The operation certainly did not take effect: it leaves the history. */
  fail(id: number): void {
    this.take(id);
  }

  /** The operation's outcome is unknown: it may take effect after its call, or never. */
  info(id: number): void {
    const op = this.take(id);
    this.done.push({ ...op, output: UNKNOWN, return: Number.POSITIVE_INFINITY });
  }

  /** Number of operations invoked and not yet completed. */
  get pendingCount(): number {
    return this.open.size;
  }

  /** The history so far, operations still open counted as unknown. */
  history(): Operation<I, O>[] {
    const pending = [...this.open.values()].map(
      (op): Operation<I, O> => ({ ...op, output: UNKNOWN, return: Number.POSITIVE_INFINITY }),
    );
    return [...this.done, ...pending];
  }

  private take(id: number): Open<I> {
    const op = this.open.get(id);
    if (op === undefined)
      throw new Error(`operation ${id} is not open (never invoked, or completed twice)`);
    this.open.delete(id);
    return op;
  }

  private now(): number {
    const t = this.clock();
    if (!(t >= this.lastTime))
      throw new Error(`the history clock went back from ${this.lastTime} to ${t}`);
    this.lastTime = t;
    return t;
  }
}
