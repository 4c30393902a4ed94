/**
 * Probes shared by the RESP targets: readiness (PING answered PONG, not
 * -LOADING), the slot → node map of a cluster read from CLUSTER SLOTS, and a
 * check that the load generator's slot function agrees with the server's
 * CLUSTER KEYSLOT.
 */

import { keySlot, SLOT_COUNT } from "../loadgen/key-slot.js";
import { keyBytes, keyName } from "../loadgen/keys.js";
import { describeReply, RespError, type RespValue } from "../loadgen/resp.js";
import { respOnce } from "../loadgen/resp-client.js";
import type { Endpoint } from "../loadgen/resp-load-spec.js";

/** True if the server at host:port answers PING with PONG. */
export async function pingOk(host: string, port: number): Promise<boolean> {
  try {
    const reply = await respOnce(host, port, ["PING"], 1000);
    return reply === "PONG";
  } catch {
    return false;
  }
}

function text(value: RespValue | undefined): string {
  return Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
}

/**
 * The owner (index into `nodes`) of every slot, from CLUSTER SLOTS asked of
 * `nodes[0]`. Throws if a slot is uncovered or owned by an unknown node.
 */
export async function clusterSlotOwners(nodes: readonly Endpoint[]): Promise<number[]> {
  const reply = await respOnce(nodes[0]!.host, nodes[0]!.port, ["CLUSTER", "SLOTS"], 5000);
  if (!Array.isArray(reply))
    throw new Error(`CLUSTER SLOTS: unexpected reply ${describeReply(reply)}`);
  const owners = new Array<number>(SLOT_COUNT).fill(-1);
  for (const entry of reply) {
    if (!Array.isArray(entry) || entry.length < 3) continue;
    const [start, end, master] = entry as [number, number, RespValue[]];
    const port = Number(master[1]);
    const owner = nodes.findIndex((node) => node.port === port);
    if (owner === -1)
      throw new Error(`CLUSTER SLOTS names unknown node ${text(master[0])}:${port}`);
    for (let slot = start; slot <= end; slot++) owners[slot] = owner;
  }
  const uncovered = owners.indexOf(-1);
  if (uncovered !== -1) throw new Error(`slot ${uncovered} has no owner yet`);
  return owners;
}

/** Checks `sample` keys' slots against CLUSTER KEYSLOT. */
export async function verifyKeySlots(node: Endpoint, sample = 20): Promise<void> {
  for (let i = 0; i < sample; i++) {
    const index = i * 7919 + 13;
    const reply = await respOnce(
      node.host,
      node.port,
      ["CLUSTER", "KEYSLOT", keyName(index)],
      2000,
    );
    if (reply instanceof RespError) throw new Error(`CLUSTER KEYSLOT: ${reply.message}`);
    const mine = keySlot(keyBytes(index));
    if (reply !== mine) {
      throw new Error(
        `slot of ${keyName(index)}: server says ${String(reply)}, generator says ${mine}`,
      );
    }
  }
}
