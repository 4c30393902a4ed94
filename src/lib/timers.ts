/**
 * Timers, injected. The drivers of Tessera (the store's Ready loop and tick,
 * the bus's reconnects, the cluster's liveness checks) schedule work through a
 * `Timers` instead of the global timer functions, so the simulator can run a
 * whole cluster on simulated time from one seed. Production passes
 * `systemTimers` (src/range), the simulator its own event queue.
 */

export interface TimerHandle {
  /** Cancels the timer; a no-op once it fired or was cancelled. */
  cancel(): void;
}

export interface Timers {
  /** Runs `fn` once after `ms` milliseconds. */
  after(ms: number, fn: () => void): TimerHandle;
  /** Runs `fn` every `ms` milliseconds until cancelled. */
  every(ms: number, fn: () => void): TimerHandle;
  /** Runs `fn` soon, after the current turn and its promise jobs (like setImmediate). */
  soon(fn: () => void): void;
}
