/**
 * `systemTimers`: the production `Timers` (lib/timers.ts) over Node's timer
 * functions. The only place in src/range that touches the global timers; the
 * simulator passes its own event queue instead. Timers keep the process alive
 * while they are pending, like the functions they wrap.
 */
import type { TimerHandle, Timers } from "../lib/index.js";

export const systemTimers: Timers = {
  after(ms: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
  every(ms: number, fn: () => void): TimerHandle {
    const t = setInterval(fn, ms);
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
