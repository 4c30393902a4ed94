/**
 * `SimTimers`: the `Timers` of one simulated node incarnation, on the world's
 * event queue. A crash disposes them: every timer of the dead incarnation is
 * cancelled, so no code of a crashed node runs again.
 */
import type { TimerHandle, Timers } from "../../src/lib/index.js";
import type { Cancellable, World } from "./world.js";

export class SimTimers implements Timers {
  private readonly live = new Set<Cancellable>();
  private disposed = false;

  /** A throw out of a timer callback: in a real process an uncaught exception, here the node's failure. */
  onError: (e: unknown) => void = (e) => {
    throw e;
  };

  constructor(
    private readonly world: World,
    private readonly owner: string,
  ) {}

  private run(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.onError(e);
    }
  }

  after(ms: number, fn: () => void): TimerHandle {
    let c: Cancellable | undefined;
    const handle = this.track(() => c?.cancel());
    c = this.world.after(Math.max(0, ms), this.owner, "timer", () => {
      this.live.delete(handle);
      if (!this.disposed) this.run(fn);
    });
    return handle;
  }

  every(ms: number, fn: () => void): TimerHandle {
    let c: Cancellable | undefined;
    const period = Math.max(1, ms);
    const handle = this.track(() => c?.cancel());
    const arm = (): void => {
      c = this.world.after(period, this.owner, "tick", () => {
        if (this.disposed || !this.live.has(handle)) return;
        arm();
        this.run(fn);
      });
    };
    arm();
    return handle;
  }

  soon(fn: () => void): void {
    this.world.after(0, this.owner, "soon", () => {
      if (!this.disposed) this.run(fn);
    });
  }

  /** Cancels every timer: the node incarnation is gone. */
  dispose(): void {
    this.disposed = true;
    for (const h of this.live) h.cancel();
    this.live.clear();
  }

  private track(cancel: () => void): TimerHandle & Cancellable {
    const handle: TimerHandle & Cancellable = {
      cancel: () => {
        this.live.delete(handle);
        cancel();
      },
    };
    this.live.add(handle);
    return handle;
  }
}
