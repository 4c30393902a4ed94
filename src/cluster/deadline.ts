/**
 * `withDeadline`: a promise, or a TIMEOUT rejection once `ms` have passed on
 * the injected timers, so no loop of the cluster driver waits forever on a
 * read that will never be answered.
 */
import { TesseraError, type Timers } from "../lib/index.js";

export function withDeadline<T>(timers: Timers, p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = timers.after(ms, () =>
      reject(new TesseraError("TIMEOUT", `no answer within ${ms} ms`)),
    );
    p.then(
      (v) => {
        t.cancel();
        resolve(v);
      },
      (e: unknown) => {
        t.cancel();
        reject(e);
      },
    );
  });
}
