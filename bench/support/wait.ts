/**
 * Bounded waiting: every wait in the suite has a deadline and a poll interval,
 * and fails with a message naming what it waited for.
 */

/** Thrown by a probe to end a wait at once (the awaited thing can no longer happen). */
export class WaitAbortedError extends Error {}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `probe` every `intervalMs` until it returns a value other than
 * `undefined`, or throws once `timeoutMs` have passed. A probe that throws
 * counts as "not yet" (the last error is quoted in the timeout message),
 * except a `WaitAbortedError`, which ends the wait at once.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError = "";
  for (let _attempt = 0; ; _attempt++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof WaitAbortedError) throw error;
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (performance.now() >= deadline) {
      const detail = lastError === "" ? "" : ` (last error: ${lastError})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}
