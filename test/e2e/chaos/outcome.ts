/**
 * What a failed request tells a chaos client about its effect. A write is
 * recorded as "fail" (it certainly did not happen) only when Tessera refused
 * it before proposing it — `-CLUSTERDOWN` and `-TRYAGAIN`, which the server
 * sends only for such refusals — or when the client never sent it (its
 * connection was not writable). Anything else (a timeout, `-ERR` for a write
 * whose outcome is unknown, a connection lost mid-request) is "info": the
 * write may take effect at any time, or never. A failed read has no effect,
 * so it is always "fail".
 */

export type Outcome = "fail" | "info";

const REFUSALS = /^(CLUSTERDOWN|TRYAGAIN) /;
const NOT_SENT = /^Stream isn't writeable/;

export function outcomeOf(e: unknown, isWrite: boolean): Outcome {
  if (!isWrite) return "fail";
  const message = e instanceof Error ? e.message : String(e);
  return REFUSALS.test(message) || NOT_SENT.test(message) ? "fail" : "info";
}

/** A refusal by the server (as opposed to a client-side failure): the reply's prefix. */
export function isRefusal(e: unknown): boolean {
  return e instanceof Error && REFUSALS.test(e.message);
}

/** The connection cannot be trusted for the next request. */
export function dropsConnection(e: unknown): boolean {
  const message = e instanceof Error ? e.message : String(e);
  return !/^(CLUSTERDOWN|TRYAGAIN|ERR|MOVED|ASK) /.test(message);
}
