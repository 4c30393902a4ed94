/**
 * A node's record in the node table of the system keyspace (`nodes/<id>`):
 * its id, its three addresses, its locality labels and its membership state.
 * Identity is the id, never an address: a node that restarts on another port
 * keeps its id and its record's addresses are updated. A removed node's record
 * stays as a tombstone, so an id is never handed out twice.
 *
 * Records are stored as JSON; `decodeNodeRecord` checks every field, so a
 * record that does not parse is an operating error (CORRUPTION), not a crash.
 */
import { type NodeId, nodeId, TesseraError } from "../lib/index.js";

/** active → decommissioning → removed; active → removed. Never back. */
export type NodeState = "active" | "decommissioning" | "removed";
export const NODE_STATES: readonly NodeState[] = ["active", "decommissioning", "removed"];

export interface NodeRecord {
  readonly id: NodeId;
  /** Bus address (host:port) other nodes reach it at. */
  readonly address: string;
  /** RESP address (host:port) clients reach it at. */
  readonly respAddress: string;
  /** HTTP address (host:port): /metrics, /readyz. */
  readonly httpAddress: string;
  readonly locality: Readonly<Record<string, string>>;
  readonly state: NodeState;
  readonly joinedAtMs: number;
  /**
   * When the node was removed (the wall clock of the meta leader that removed
   * it); absent while it is a member, and on records written before the field.
   */
  readonly removedAtMs?: number;
}

export function encodeNodeRecord(record: NodeRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record));
}

export function decodeNodeRecord(bytes: Uint8Array): NodeRecord {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    throw new TesseraError("CORRUPTION", "a node record is not valid JSON");
  }
  const { id, address, respAddress, httpAddress, locality, state, joinedAtMs, removedAtMs } = raw;
  if (
    typeof id !== "number" ||
    !Number.isSafeInteger(id) ||
    id <= 0 ||
    typeof address !== "string" ||
    typeof respAddress !== "string" ||
    typeof httpAddress !== "string" ||
    typeof joinedAtMs !== "number" ||
    !NODE_STATES.includes(state as NodeState) ||
    !isLabels(locality) ||
    (removedAtMs !== undefined && typeof removedAtMs !== "number")
  ) {
    throw new TesseraError("CORRUPTION", `node record ${String(id)} is incomplete or malformed`);
  }
  return {
    id: nodeId(id),
    address,
    respAddress,
    httpAddress,
    locality,
    state: state as NodeState,
    joinedAtMs,
    ...(removedAtMs === undefined ? {} : { removedAtMs }),
  };
}

function isLabels(v: unknown): v is Record<string, string> {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === "string")
  );
}

/** Locality labels as `k=v,k=v` (sorted), "-" when there are none. */
export function formatLocality(locality: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(locality).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return pairs.length === 0 ? "-" : pairs.map(([k, v]) => `${k}=${v}`).join(",");
}

/** Nodes that hold (or may be given) replicas: not removed. */
export function isMember(record: NodeRecord): boolean {
  return record.state !== "removed";
}
