/**
 * The layout of cluster metadata in the system keyspace (replicated by range
 * 1, the meta range) and the kv commands that read and write it. The kv state
 * machine is reused as is: metadata is a handful of string keys.
 *
 *   cluster/id             the cluster id, written once at bootstrap (SET NX)
 *   cluster/next-node-id   the next node id to hand out (INCR: Raft-committed,
 *                          so an id is allocated once and never reused)
 *   nodes/<id>             a node record (node-record.ts); removed nodes stay
 *                          as tombstones
 *
 * Node ids are allocated densely from 1, so the node table is read as one MGET
 * of nodes/1 … nodes/<next-1>, bounded by `nodesMax`.
 */
import type { KvReply, ReadCommand, WriteCommand } from "../kv/index.js";
import { type KeyspaceId, type NodeId, TesseraError } from "../lib/index.js";
import { decodeNodeRecord, encodeNodeRecord, type NodeRecord } from "./node-record.js";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export const CLUSTER_ID_KEY = "cluster/id";
export const NEXT_NODE_ID_KEY = "cluster/next-node-id";

export function nodeKey(id: NodeId): string {
  return `nodes/${id}`;
}

export function setClusterIdCommand(ks: KeyspaceId, clusterId: string): WriteCommand {
  return {
    op: "set",
    ks,
    key: enc(CLUSTER_ID_KEY),
    value: enc(clusterId),
    expiry: { kind: "none" },
    cond: "nx",
    get: false,
  };
}

/** Allocates a node id: the reply is the id (the counter starts at 0, so the first id is 1). */
export function allocateNodeIdCommand(ks: KeyspaceId): WriteCommand {
  return { op: "incrby", ks, key: enc(NEXT_NODE_ID_KEY), delta: 1n };
}

export function putNodeCommand(ks: KeyspaceId, record: NodeRecord): WriteCommand {
  return {
    op: "set",
    ks,
    key: enc(nodeKey(record.id)),
    value: encodeNodeRecord(record),
    expiry: { kind: "none" },
    cond: "always",
    get: false,
  };
}

export function getClusterIdCommand(ks: KeyspaceId): ReadCommand {
  return { op: "get", ks, key: enc(CLUSTER_ID_KEY) };
}

export function getNextNodeIdCommand(ks: KeyspaceId): ReadCommand {
  return { op: "get", ks, key: enc(NEXT_NODE_ID_KEY) };
}

/** MGET of nodes/1 … nodes/<count>. */
export function getNodesCommand(ks: KeyspaceId, count: number): ReadCommand {
  const keys: Uint8Array[] = [];
  for (let id = 1; id <= count; id++) keys.push(enc(nodeKey(id as NodeId)));
  return { op: "mget", ks, keys };
}

/** The text of a bulk reply; undefined for nil; an error reply or another kind throws. */
export function replyString(reply: KvReply, what: string): string | undefined {
  if (reply.t === "nil") return undefined;
  if (reply.t === "bulk") return new TextDecoder().decode(reply.v);
  throw unexpected(reply, what);
}

/** An integer reply (INCR), or a bulk holding one (GET of a counter). */
export function replyInteger(reply: KvReply, what: string): number {
  if (reply.t === "int") return Number(reply.v);
  if (reply.t === "nil") return 0;
  if (reply.t === "bulk") {
    const n = Number(new TextDecoder().decode(reply.v));
    if (Number.isSafeInteger(n)) return n;
  }
  throw unexpected(reply, what);
}

/** The records of an MGET of the node table (missing ids are skipped). */
export function replyNodes(reply: KvReply): NodeRecord[] {
  if (reply.t !== "array") throw unexpected(reply, "node table");
  const out: NodeRecord[] = [];
  for (const item of reply.v) {
    if (item.t === "nil") continue;
    if (item.t !== "bulk") throw unexpected(item, "node record");
    out.push(decodeNodeRecord(item.v));
  }
  return out;
}

function unexpected(reply: KvReply, what: string): TesseraError {
  if (reply.t === "error") return new TesseraError(reply.code, `${what}: ${reply.message}`);
  return new TesseraError("INTERNAL", `${what}: unexpected ${reply.t} reply`);
}
