/**
 * Branded identifiers. They are plain numbers at run time; the brand keeps a
 * term from being passed where a log index is wanted. Each has a constructor
 * that checks the value is a non-negative safe integer.
 */
import { assert } from "./assert.js";

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A Raft term (§5.1). 0 means "no term yet". */
export type Term = Brand<number, "Term">;
/** A position in a Raft log, starting at 1. 0 means "before the first entry". */
export type LogIndex = Brand<number, "LogIndex">;
/** A node's id in the cluster; 0 means "none". */
export type NodeId = Brand<number, "NodeId">;
/** A range's id; range 1 is the meta range. */
export type RangeId = Brand<number, "RangeId">;
/** A keyspace's id; keyspace n is Redis database n. */
export type KeyspaceId = Brand<number, "KeyspaceId">;

function check(n: number, what: string): void {
  assert(
    Number.isSafeInteger(n) && n >= 0,
    `${what} must be a non-negative safe integer, got ${n}`,
  );
}

export function term(n: number): Term {
  check(n, "term");
  return n as Term;
}
export function logIndex(n: number): LogIndex {
  check(n, "log index");
  return n as LogIndex;
}
export function nodeId(n: number): NodeId {
  check(n, "node id");
  return n as NodeId;
}
export function rangeId(n: number): RangeId {
  check(n, "range id");
  return n as RangeId;
}
export function keyspaceId(n: number): KeyspaceId {
  check(n, "keyspace id");
  return n as KeyspaceId;
}

export const NO_NODE = 0 as NodeId;
export const META_RANGE_ID = 1 as RangeId;

/**
 * The system keyspace: cluster metadata (nodes, keyspaces, descriptors),
 * range-partitioned, owned by range 1. FLUSHALL never touches it.
 */
export const SYSTEM_KEYSPACE_ID = 0xffff_ffff as KeyspaceId;
