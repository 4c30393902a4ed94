/**
 * The cluster's bus calls: their method names and the shapes of their
 * requests and replies. Payloads come from the network, so every reader
 * checks the shape it was given (PROTOCOL otherwise).
 *
 *   cluster.hello           any node → its cluster id (a joiner's or restarter's check)
 *   cluster.join            any node; forwarded to the meta leader, which admits
 *   cluster.ping            any node; forwarded to the meta leader (liveness)
 *   cluster.admin           any node; forwarded to the meta leader (remove, decommission, status)
 *   cluster.change-replicas run on a range's leader by the meta leader
 *   cluster.range-info      a range leader's view of its replicas
 *   cluster.rangeLoads      the load of each range the answering node leads
 *                           (the planner and status ask every live node)
 */
import { type NodeId, nodeId, rangeId, TesseraError } from "../lib/index.js";
import type { RangeLoadReport, RangeMembers } from "../range/index.js";
import type { Liveness } from "./planner/index.js";

export const METHOD_HELLO = "cluster.hello";
export const METHOD_JOIN = "cluster.join";
export const METHOD_PING = "cluster.ping";
export const METHOD_ADMIN = "cluster.admin";
export const METHOD_CHANGE_REPLICAS = "cluster.change-replicas";
/** The load of every range the answering node leads (the meta leader's planner and status ask). */
export const METHOD_RANGE_LOADS = "cluster.rangeLoads";
export const METHOD_RANGE_INFO = "cluster.range-info";

/** How many times a call to the meta leader may be forwarded on (a leader that just moved). */
export const FORWARD_HOPS_MAX = 2;

export interface Addresses {
  readonly address: string;
  readonly respAddress: string;
  readonly httpAddress: string;
}

export interface JoinRequest extends Addresses {
  readonly locality: Readonly<Record<string, string>>;
  readonly hops?: number;
}

export interface PeerAddress {
  readonly id: number;
  readonly address: string;
}

export interface JoinReply {
  readonly clusterId: string;
  readonly nodeId: number;
  readonly peers: readonly PeerAddress[];
}

export interface PingRequest extends Addresses {
  readonly nodeId: number;
  readonly hops?: number;
}

export interface PingReply {
  readonly metaLeader: number;
  /** This node's record is a tombstone: it must stop. */
  readonly removed: boolean;
  /** The meta leader's judgement of every node, by id. */
  readonly liveness: Readonly<Record<string, Liveness>>;
  /** Ms since the meta leader last heard from each node. */
  readonly silentMs: Readonly<Record<string, number>>;
  readonly peers: readonly PeerAddress[];
}

export type AdminRequest =
  | { readonly op: "remove" | "decommission"; readonly nodeId: number; readonly hops?: number }
  /** status: the cluster as the meta leader sees it; step-down: the meta leader hands range 1 over. */
  | { readonly op: "status" | "step-down"; readonly hops?: number };

export function expectObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TesseraError("PROTOCOL", `${what}: expected an object`);
  }
  return value as Record<string, unknown>;
}

export function expectString(obj: Record<string, unknown>, key: string, what: string): string {
  const v = obj[key];
  if (typeof v !== "string") throw new TesseraError("PROTOCOL", `${what}: ${key} must be a string`);
  return v;
}

export function expectInt(obj: Record<string, unknown>, key: string, what: string): number {
  const v = obj[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new TesseraError("PROTOCOL", `${what}: ${key} must be a non-negative integer`);
  }
  return v;
}

export function expectBytes(obj: Record<string, unknown>, key: string, what: string): Uint8Array {
  const v = obj[key];
  if (!(v instanceof Uint8Array))
    throw new TesseraError("PROTOCOL", `${what}: ${key} must be bytes`);
  // A copy: the decoder's bytes may be a view into the frame.
  return new Uint8Array(v);
}

function expectRate(obj: Record<string, unknown>, key: string, what: string): number {
  const v = obj[key];
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new TesseraError("PROTOCOL", `${what}: ${key} must be a non-negative number`);
  }
  return v;
}

/** A `cluster.rangeLoads` reply. */
export function readRangeLoads(value: unknown): RangeLoadReport[] {
  if (!Array.isArray(value)) throw new TesseraError("PROTOCOL", "range loads: expected a list");
  const what = "range load";
  return value.map((v) => {
    const o = expectObject(v, what);
    return {
      rangeId: rangeId(expectInt(o, "rangeId", what)),
      generation: expectInt(o, "generation", what),
      start: expectBytes(o, "start", what),
      end: expectBytes(o, "end", what),
      keys: expectInt(o, "keys", what),
      bytes: expectInt(o, "bytes", what),
      opsPerSec: expectRate(o, "opsPerSec", what),
      splitKey:
        o.splitKey === undefined || o.splitKey === null
          ? undefined
          : expectBytes(o, "splitKey", what),
      ...(o.members === undefined || o.members === null
        ? {}
        : { members: readMembers(o.members, what) }),
    };
  });
}

function readMembers(value: unknown, what: string): RangeMembers {
  const o = expectObject(value, `${what}'s members`);
  const ids = (key: string): NodeId[] => {
    const list = o[key];
    if (!Array.isArray(list) || !list.every((v) => Number.isSafeInteger(v) && v > 0))
      throw new TesseraError("PROTOCOL", `${what}'s members: ${key} must be a list of node ids`);
    return list.map((v: number) => nodeId(v));
  };
  return { term: expectInt(o, "term", what), voters: ids("voters"), learners: ids("learners") };
}

export function readAddresses(obj: Record<string, unknown>, what: string): Addresses {
  return {
    address: expectString(obj, "address", what),
    respAddress: expectString(obj, "respAddress", what),
    httpAddress: expectString(obj, "httpAddress", what),
  };
}

export function readJoinReply(value: unknown): JoinReply {
  const obj = expectObject(value, "join reply");
  const peers = obj.peers;
  if (!Array.isArray(peers)) throw new TesseraError("PROTOCOL", "join reply: peers must be a list");
  return {
    clusterId: expectString(obj, "clusterId", "join reply"),
    nodeId: expectInt(obj, "nodeId", "join reply"),
    peers: peers.map((p) => {
      const o = expectObject(p, "join reply peer");
      return { id: expectInt(o, "id", "peer"), address: expectString(o, "address", "peer") };
    }),
  };
}

export function readJoinRequest(value: unknown): JoinRequest {
  const obj = expectObject(value, "join");
  return {
    ...readAddresses(obj, "join"),
    locality: readLocality(obj.locality),
    hops: typeof obj.hops === "number" ? obj.hops : 0,
  };
}

export function readPingRequest(value: unknown): PingRequest {
  const obj = expectObject(value, "ping");
  return {
    ...readAddresses(obj, "ping"),
    nodeId: expectInt(obj, "nodeId", "ping"),
    hops: typeof obj.hops === "number" ? obj.hops : 0,
  };
}

function readLocality(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  const obj = expectObject(v, "locality");
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj)) if (typeof x === "string") out[k] = x;
  return out;
}

/** Whether a record already holds these addresses. */
export function sameAddresses(r: Addresses, a: Addresses): boolean {
  return (
    r.address === a.address && r.respAddress === a.respAddress && r.httpAddress === a.httpAddress
  );
}

/** Only the three addresses of `a` (a request carries more). */
export function pickAddresses(a: Addresses): Addresses {
  return { address: a.address, respAddress: a.respAddress, httpAddress: a.httpAddress };
}
