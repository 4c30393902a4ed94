/**
 * Progress lines on stderr-free stdout: one line per step, prefixed with the
 * time elapsed since the run began, so a long run shows where it is.
 */

const startedMs = performance.now();

function elapsed(): string {
  const s = (performance.now() - startedMs) / 1000;
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, "0")}:${(s - m * 60).toFixed(1).padStart(4, "0")}`;
}

/** Prints one progress line. */
export function progress(message: string): void {
  process.stdout.write(`[${elapsed()}] ${message}\n`);
}

/** Seconds since the run began. */
export function elapsedSeconds(): number {
  return (performance.now() - startedMs) / 1000;
}
