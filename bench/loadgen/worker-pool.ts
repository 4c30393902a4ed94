/**
 * Runs a load generator module in worker threads and collects one result per
 * thread. Worker modules are TypeScript; since module hooks are not inherited
 * by workers on Node.js 20, each worker first registers tsx and then imports
 * its module. A worker that does not answer within its time limit is
 * terminated and the run fails.
 */
import { Worker } from "node:worker_threads";

const tsxApi = import.meta.resolve("tsx/esm/api");

/** Starts `moduleUrl` in one worker per entry of `inputs` and resolves with their results. */
export async function runInWorkers<I, R>(
  moduleUrl: URL,
  kind: string,
  inputs: readonly I[],
  timeoutMs: number,
): Promise<R[]> {
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(moduleUrl.href)}); });`;
  const workers: Worker[] = [];
  try {
    return await Promise.all(
      inputs.map(
        (spec) =>
          new Promise<R>((resolve, reject) => {
            const worker = new Worker(boot, { eval: true, workerData: { kind, spec } });
            workers.push(worker);
            const timer = setTimeout(() => {
              reject(new Error(`${kind} worker did not finish within ${timeoutMs} ms`));
            }, timeoutMs);
            worker.once("message", (message: { ok: boolean; result?: R; error?: string }) => {
              clearTimeout(timer);
              if (message.ok) resolve(message.result as R);
              else reject(new Error(message.error ?? `${kind} worker failed`));
            });
            worker.once("error", (error) => {
              clearTimeout(timer);
              reject(error);
            });
            worker.once("exit", (code) => {
              clearTimeout(timer);
              reject(new Error(`${kind} worker exited with code ${code} before answering`));
            });
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/** Splits `total` into `parts` near-equal non-negative integers. */
export function split(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const extra = total % parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}
