/**
 * Operating errors: the one error class every layer throws for something that
 * is not a bug (bad input, a lost leader, a limit reached, a timeout). Each has a
 * code from one closed table; the RESP server maps a code to its Redis reply and
 * the RPC server to a Connect code in exactly one place each. Tests check codes,
 * never message text. Bugs are `AssertionError`s (see assert.ts), not these.
 */

export const ERROR_CODES = [
  // Input
  "SYNTAX", // malformed command arguments (Redis: ERR syntax error)
  "WRONG_ARITY", // wrong number of arguments
  "UNKNOWN_COMMAND",
  "INVALID_ARGUMENT", // a well-formed argument with a bad value
  "NOT_INTEGER", // value is not an integer or out of range
  "NOT_FLOAT", // value is not a valid float
  "OVERFLOW", // increment or decrement would overflow
  "WRONG_TYPE", // operation against a key holding the wrong kind of value
  "NO_SUCH_KEY",
  "PROTOCOL", // malformed wire protocol; the connection is closed after the reply
  "LIMIT_EXCEEDED", // a named limit (bytes, count, depth) was exceeded
  // Access
  "NOAUTH",
  "WRONGPASS",
  "NOPERM",
  // Placement and consensus
  "NOT_LEADER", // this replica is not the leader; a hint may say who is
  "PROPOSAL_DROPPED", // consensus refused a proposal (no leader, transfer in progress, …)
  "UNAVAILABLE", // no leader or quorum within the bound; retry later (Redis: CLUSTERDOWN / TRYAGAIN)
  "TIMEOUT",
  "MOVED", // the key belongs to another range/node
  "RANGE_MISMATCH", // a request reached a range that no longer owns its key (split/merge); re-route and retry
  "ASK",
  "CROSSSLOT", // keys of one atomic command span ranges
  "TRY_AGAIN",
  "CLUSTER_DOWN",
  "READONLY",
  // Store
  "DATA_DIR", // the data directory cannot be used (permissions, format, locked)
  "CORRUPTION", // a checksum or format check failed on stored data
  "SHUTTING_DOWN",
  "INTERNAL", // an unexpected failure below us (an I/O error, say), not a bug of ours
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class TesseraError extends Error {
  override readonly name = "TesseraError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra facts for the caller, e.g. `{ leader: 3 }` with NOT_LEADER. */
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

export function isTesseraError(e: unknown, code?: ErrorCode): e is TesseraError {
  return e instanceof TesseraError && (code === undefined || e.code === code);
}
