/**
 * The ranges every cluster starts with, by id (see descriptor.ts for their
 * spans): range 1 is the meta range (the system keyspace: cluster metadata
 * and the meta table), range 2 starts out owning every user hash keyspace.
 */
import { type RangeId, rangeId } from "../lib/index.js";

export const SYSTEM_RANGE_ID: RangeId = rangeId(1);
export const USER_RANGE_ID: RangeId = rangeId(2);

/** A key interval, start inclusive, end exclusive. */
export interface Span {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
}
