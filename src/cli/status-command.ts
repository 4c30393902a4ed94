/**
 * `tessera status` and `tessera node list|remove|decommission`: the
 * operator's view of a cluster over the Redis protocol (TESSERA STATUS and
 * TESSERA NODE, answered by any node). Status prints the nodes (id, address,
 * locality, liveness, state, then what each holds: replicas, ranges led, and
 * the keys, size and ops/s of the ranges it leads), each range's leader,
 * voters and replication lag (the leader's commit index minus each
 * follower's match index) followed by its span, keys, size and ops/s, and
 * the asked node's role and keyspaces. A figure the cluster could not
 * measure (its node did not answer) shows as "?".
 *
 * New columns go at the end of a row: scripts match the leading ones.
 */
import type { Target } from "./admin-args.js";
import { type RespValue, replyText, respCall } from "./resp-call.js";

export class CommandFailure extends Error {
  override readonly name = "CommandFailure";
}

/** Figures a node may not know (null), or an older node not send (absent). */
type Figure = number | null | undefined;

export interface StatusNode {
  id: number;
  address: string;
  respAddress: string;
  locality: Record<string, string>;
  state: string;
  liveness: string;
  replicas?: Figure;
  leaders?: Figure;
  keys?: Figure;
  bytes?: Figure;
  opsPerSec?: Figure;
}

export interface StatusRange {
  rangeId: number;
  leaderId: number;
  voters: number[];
  learners: number[];
  commitIndex: number;
  replicas: { nodeId: number; matchIndex: number; lag: number }[];
  span?: string | null;
  keys?: Figure;
  bytes?: Figure;
  opsPerSec?: Figure;
}

export interface Status {
  clusterId: string;
  metaLeader: number;
  nodes: StatusNode[];
  ranges: StatusRange[];
}

/** How long `node remove|decommission` waits: moving every replica of a node takes a while. */
const MEMBERSHIP_CALL_MS = 15 * 60_000;
/**
 * Tries of `node remove|decommission` while the cluster refuses it for now
 * (TRYAGAIN, CLUSTERDOWN: a range between two leaders, such as range 1 while
 * the node being taken out hands it over), `MEMBERSHIP_RETRY_MS` apart.
 */
export const MEMBERSHIP_ATTEMPTS = 5;
const MEMBERSHIP_RETRY_MS = 1_000;
/** A reply that says the cluster could do it a moment later. */
const TRANSIENT_REFUSAL = / answered: (TRYAGAIN|CLUSTERDOWN) /;

async function call(
  target: Target,
  commands: string[][],
  timeoutMs?: number,
): Promise<RespValue[]> {
  const all = target.password !== undefined ? [["AUTH", target.password], ...commands] : commands;
  let replies: RespValue[];
  try {
    replies = await respCall(target.host, target.port, all, timeoutMs);
  } catch (e) {
    throw new CommandFailure(`cannot reach ${target.host}:${target.port}: ${(e as Error).message}`);
  }
  const error = replies.find((r) => r.t === "error");
  if (error?.t === "error")
    throw new CommandFailure(`${target.host}:${target.port} answered: ${error.v}`);
  return replies.slice(target.password !== undefined ? 1 : 0);
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => `  ${r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ")}`.trimEnd());
}

const UNKNOWN = "?";
const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** Bytes in binary units, one decimal: "512 B", "1.2 MiB"; "?" when unknown. */
export function humanBytes(bytes: Figure): string {
  if (bytes === null || bytes === undefined) return UNKNOWN;
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(bytes)} B` : `${v.toFixed(1)} ${BYTE_UNITS[u]}`;
}

/** Operations per second: one decimal below 100, whole above; "?" when unknown. */
export function formatRate(opsPerSec: Figure): string {
  if (opsPerSec === null || opsPerSec === undefined) return UNKNOWN;
  return opsPerSec.toFixed(opsPerSec < 100 ? 1 : 0);
}

function count(n: Figure): string {
  return n === null || n === undefined ? UNKNOWN : String(n);
}

export function nodeRows(status: Status): string[] {
  const rows = [
    [
      "id",
      "address",
      "resp",
      "locality",
      "liveness",
      "state",
      "replicas",
      "leaders",
      "keys",
      "size",
      "ops/s",
    ],
  ];
  for (const n of status.nodes) {
    const locality =
      Object.entries(n.locality)
        .map(([k, v]) => `${k}=${v}`)
        .join(",") || "-";
    rows.push([
      String(n.id),
      n.address,
      n.respAddress,
      locality,
      n.state === "removed" ? "-" : n.liveness,
      n.state,
      count(n.replicas),
      count(n.leaders),
      count(n.keys),
      humanBytes(n.bytes),
      formatRate(n.opsPerSec),
    ]);
  }
  return table(rows);
}

export function rangeRows(status: Status): string[] {
  const rows = [
    ["range", "leader", "voters", "learners", "commit", "lag", "span", "keys", "size", "ops/s"],
  ];
  for (const r of status.ranges) {
    const lag = r.replicas.map((p) => `n${p.nodeId}:${p.lag}`).join(" ") || "-";
    rows.push([
      String(r.rangeId),
      r.leaderId === 0 ? "none" : String(r.leaderId),
      [...r.voters].sort((a, b) => a - b).join(",") || "-",
      [...r.learners].sort((a, b) => a - b).join(",") || "-",
      String(r.commitIndex),
      lag,
      r.span ?? UNKNOWN,
      count(r.keys),
      humanBytes(r.bytes),
      formatRate(r.opsPerSec),
    ]);
  }
  return table(rows);
}

async function fetchStatus(target: Target): Promise<Status> {
  const [reply] = await call(target, [["TESSERA", "STATUS"]]);
  return JSON.parse(replyText(reply!) ?? "{}") as Status;
}

export async function statusCommand(target: Target): Promise<string> {
  const [server, replication, keyspace] = (
    await call(target, [
      ["INFO", "server"],
      ["INFO", "replication"],
      ["INFO", "keyspace"],
    ])
  ).map((r) => replyText(r) ?? "");
  const field = (text: string, name: string) =>
    new RegExp(`^${name}:(.*)$`, "m").exec(text)?.[1]?.trim();
  const lines = [
    `node ${target.host}:${target.port}  version ${field(server!, "tessera_version") ?? field(server!, "redis_version") ?? "?"}`,
    `  role: ${field(replication!, "role") ?? "?"}  connected replicas: ${field(replication!, "connected_slaves") ?? "0"}`,
  ];
  try {
    const status = await fetchStatus(target);
    lines.push(
      `cluster ${status.clusterId}  meta leader: node ${status.metaLeader}`,
      "nodes:",
      ...nodeRows(status),
      "ranges:",
      ...rangeRows(status),
    );
  } catch (e) {
    lines.push(`cluster: unavailable (${(e as Error).message})`);
  }
  const spaces = keyspace!
    .split(/\r?\n/)
    .filter((l) => /^db\d+:/.test(l))
    .map((l) => `  ${l.trim()}`);
  lines.push(spaces.length > 0 ? "keyspaces:" : "keyspaces: (empty)", ...spaces);
  return `${lines.join("\n")}\n`;
}

export async function nodeCommand(target: Target, words: readonly string[]): Promise<string> {
  const [sub, id, ...extra] = words;
  if (sub === "list" && id === undefined) {
    const status = await fetchStatus(target);
    return `${nodeRows(status).join("\n")}\n`;
  }
  if ((sub === "remove" || sub === "decommission") && id !== undefined && extra.length === 0) {
    if (!/^\d+$/.test(id)) throw new CommandFailure(`'${id}' is not a node id`);
    for (let attempt = 1; ; attempt++) {
      try {
        const [reply] = await call(
          target,
          [["TESSERA", "NODE", sub.toUpperCase(), id]],
          MEMBERSHIP_CALL_MS,
        );
        return `${replyText(reply!) ?? "OK"}\n`;
      } catch (e) {
        const message = (e as Error).message;
        if (attempt >= MEMBERSHIP_ATTEMPTS || !TRANSIENT_REFUSAL.test(message)) throw e;
        process.stderr.write(`${message}; trying again (${attempt}/${MEMBERSHIP_ATTEMPTS - 1})\n`);
        await new Promise((r) => setTimeout(r, MEMBERSHIP_RETRY_MS));
      }
    }
  }
  throw new CommandFailure(
    "usage: tessera node list | remove <id> | decommission <id> [-h host] [-p port]",
  );
}
