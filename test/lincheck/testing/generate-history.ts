/**
 * Builds client histories that are linearizable by construction, for the
 * checker's own tests: clients run commands against a plain sequential store,
 * each command taking effect at one instant strictly between its call and its
 * return, with other clients' calls, effects and returns interleaved around it.
 *
 * The history is driven by a list of steps (which fast-check can generate and
 * shrink, or a seeded generator can produce in bulk). A step picks a client and
 * moves it one phase on: an idle client calls the step's command; a called one
 * takes effect, or, if the step says so, is cut off without taking effect; one
 * that took effect returns, or is cut off. A cut-off operation is recorded with
 * an unknown outcome, as a timed-out client sees it. Time advances by one per
 * step. The store here is written independently of models/kv.ts, so that every
 * generated history passing the checker also cross-checks the model.
 */
import type { Rng } from "../../../src/lib/rng.js";
import { type Operation, UNKNOWN } from "../model.js";
import type { KvInput, KvOutput } from "../models/kv.js";

export interface Step {
  readonly client: number;
  readonly command: KvInput;
  /** Cut the client's operation off at this step (its outcome becomes unknown). */
  readonly cut: boolean;
}

type KvOperation = Operation<KvInput, KvOutput>;

/** Redis semantics on a Map, the plain way. */
function execute(store: Map<string, string>, cmd: KvInput): KvOutput {
  const old = store.get(cmd.key);
  switch (cmd.cmd) {
    case "GET":
      return old ?? null;
    case "SET":
      if ((cmd.cond === "NX" && old !== undefined) || (cmd.cond === "XX" && old === undefined))
        return null;
      store.set(cmd.key, cmd.value);
      return "OK";
    case "DEL":
      return store.delete(cmd.key) ? 1 : 0;
    case "GETSET":
      store.set(cmd.key, cmd.value);
      return old ?? null;
    case "APPEND": {
      const next = (old ?? "") + cmd.value;
      store.set(cmd.key, next);
      return new TextEncoder().encode(next).length;
    }
    case "INCR": {
      const text = old ?? "0";
      if (
        !/^(0|-?[1-9]\d*)$/.test(text) ||
        BigInt(text) >= 2n ** 63n ||
        BigInt(text) < -(2n ** 63n)
      ) {
        return { error: "NOT_INTEGER" };
      }
      if (BigInt(text) === 2n ** 63n - 1n) return { error: "OVERFLOW" };
      const n = BigInt(text) + 1n;
      store.set(cmd.key, String(n));
      return Number(n);
    }
  }
}

interface Running {
  readonly input: KvInput;
  readonly call: number;
  output?: KvOutput;
}

export function historyFromSteps(steps: readonly Step[]): KvOperation[] {
  const store = new Map<string, string>();
  const running = new Map<number, Running>();
  const ops: KvOperation[] = [];
  const unknown = (clientId: number, r: Running): KvOperation => ({
    clientId,
    input: r.input,
    output: UNKNOWN,
    call: r.call,
    return: Number.POSITIVE_INFINITY,
  });
  steps.forEach((step, time) => {
    const r = running.get(step.client);
    if (r === undefined) {
      running.set(step.client, { input: step.command, call: time });
      return;
    }
    if (step.cut) {
      ops.push(unknown(step.client, r));
      running.delete(step.client);
    } else if (r.output === undefined) {
      r.output = execute(store, r.input);
    } else {
      ops.push({
        clientId: step.client,
        input: r.input,
        output: r.output,
        call: r.call,
        return: time,
      });
      running.delete(step.client);
    }
  });
  for (const [clientId, r] of running) ops.push(unknown(clientId, r));
  return ops;
}

export interface RandomHistoryShape {
  readonly clients: number;
  readonly keys: number;
  /** Operations to complete (plus any cut off). */
  readonly operations: number;
  /** Chance that a step cuts a running operation off. */
  readonly cutProbability: number;
}

/** A random command on one of `keys` keys, values from a small alphabet so reads meet writes. */
export function randomCommand(rng: Rng, keys: number): KvInput {
  const key = `k${rng.intn(keys)}`;
  const value = ["a", "b", "c", "1", "2"][rng.intn(5)] as string;
  const roll = rng.intn(100);
  if (roll < 40) return { cmd: "GET", key };
  if (roll < 60) return { cmd: "SET", key, value };
  if (roll < 65) return { cmd: "SET", key, value, cond: rng.intn(2) === 0 ? "NX" : "XX" };
  if (roll < 72) return { cmd: "DEL", key };
  if (roll < 82) return { cmd: "INCR", key };
  if (roll < 90) return { cmd: "GETSET", key, value };
  return { cmd: "APPEND", key, value };
}

/** Steps for a history of the given shape, drawn from `rng`. */
export function randomSteps(rng: Rng, shape: RandomHistoryShape): Step[] {
  const steps: Step[] = [];
  // Each completed operation takes three steps of its client.
  while (steps.length < shape.operations * 3) {
    steps.push({
      client: rng.intn(shape.clients),
      command: randomCommand(rng, shape.keys),
      cut: rng.float() < shape.cutProbability,
    });
  }
  return steps;
}
