/**
 * `systemTimers`: the production `Timers` (lib/timers.ts) over Node's timer
 * functions. The only place in src/range that touches the global timers; the
 * simulator passes its own event queue instead. Timers are unref'd so a
 * forgotten one never keeps a process alive.
 */
import type { TimerHandle, Timers } from "../lib/index.js";

export const systemTimers: Timers = {
  after(ms: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  every(ms: number, fn: () => void): TimerHandle {
    const t = setInterval(fn, ms);
    t.unref();
    return { cancel: () => clearInterval(t) };
  },
  soon(fn: () => void): void {
    setImmediate(fn);
  },
};

/** Resolves after `ms` on `timers` (a sleep that the simulator can drive). */
export function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => timers.after(ms, resolve));
}
