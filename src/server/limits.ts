/**
 * The named limits of a node (STYLE.md rule 4), kept together with their
 * defaults and checked once at startup (`checkNodeLimits`): every limit is a
 * positive integer and the relations between them hold. Exceeding one at run
 * time is an operating error (LIMIT_EXCEEDED, TIMEOUT), never a crash.
 */
import { TesseraError } from "../lib/index.js";

export interface NodeLimits {
  /** Most proposals of this node waiting to be applied; past it writes fail with LIMIT_EXCEEDED. */
  readonly proposalsPendingMax: number;
  /** Largest encoded write command one proposal may carry. */
  readonly proposalBytesMax: number;
  /** How long a write waits to be applied before it fails with TIMEOUT. */
  readonly proposalTimeoutMs: number;
  /** How long a read waits for its read index before it fails with TIMEOUT. */
  readonly readTimeoutMs: number;
  /** Largest bulk string a RESP client may send. */
  readonly respBulkBytesMax: number;
  /** Most connected RESP clients. */
  readonly clientsMax: number;
  /** Most commands of one connection in flight at once. */
  readonly pipelineDepthMax: number;
  /** Most unparsed bytes buffered for one client. */
  readonly queryBufferBytesMax: number;
  /** Expired keys one background expiry proposal deletes at most. */
  readonly expireBatchKeysMax: number;
}

export const DEFAULT_NODE_LIMITS: NodeLimits = {
  proposalsPendingMax: 10_000,
  proposalBytesMax: 64 * 1024 * 1024,
  proposalTimeoutMs: 10_000,
  readTimeoutMs: 10_000,
  respBulkBytesMax: 512 * 1024 * 1024,
  clientsMax: 10_000,
  pipelineDepthMax: 1024,
  queryBufferBytesMax: 1024 * 1024 * 1024,
  expireBatchKeysMax: 256,
};

/** Throws INVALID_ARGUMENT naming the first limit that is not a positive integer or breaks a relation. */
export function checkNodeLimits(limits: NodeLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new TesseraError(
        "INVALID_ARGUMENT",
        `limit ${name} must be a positive integer, got ${value}`,
      );
    }
  }
  if (limits.respBulkBytesMax > limits.queryBufferBytesMax) {
    throw new TesseraError(
      "INVALID_ARGUMENT",
      "limit respBulkBytesMax must not exceed queryBufferBytesMax",
    );
  }
}
