/**
 * Tessera's cluster commands, served by every node (the cluster layer
 * forwards to the meta leader as needed):
 *
 *   TESSERA NODE LIST                 one map per node (id, address, state, liveness, …)
 *   TESSERA NODE REMOVE <id>          take the node out of every range now
 *   TESSERA NODE DECOMMISSION <id>    move its replicas to spare nodes, then remove it
 *   TESSERA STATUS                    the cluster status as JSON (tessera status reads it)
 *
 * A node started without a cluster answers with an error.
 */
import { SLOT_COUNT, TesseraError } from "../../../lib/index.js";
import { intArg, invalidArg, optionArg } from "../args.js";
import { describeRanges } from "../cluster-view.js";
import type { CommandContext, Handler } from "../command-spec.js";
import type { RespClusterAdmin } from "../options.js";
import { arrayReply, bulkReply, helpReply, mapReply, simple } from "../reply.js";

const NODE_HELP = [
  "TESSERA NODE <subcommand> [<arg> ...]. Subcommands are:",
  "LIST",
  "    Every node of the cluster with its addresses, state and liveness.",
  "REMOVE <id>",
  "    Remove the node from every range's configuration and mark it removed.",
  "DECOMMISSION <id>",
  "    Move the node's replicas to spare nodes, then remove it.",
  "HELP",
  "    Print this help.",
];

function adminOf(ctx: CommandContext): RespClusterAdmin {
  const admin = ctx.server.admin;
  if (admin === undefined)
    throw new TesseraError("UNAVAILABLE", "this node is not part of a cluster");
  return admin;
}

const node: Handler = async (ctx) => {
  const sub = optionArg(ctx.args[2] as Buffer);
  if (sub === "HELP" && ctx.args.length === 3) return helpReply(NODE_HELP);
  if (sub === "LIST" && ctx.args.length === 3) {
    const nodes = await adminOf(ctx).nodeList();
    return arrayReply(
      nodes.map((fields) =>
        mapReply(fields.map(([k, v]) => [bulkReply(k), bulkReply(v)] as const)),
      ),
    );
  }
  if ((sub === "REMOVE" || sub === "DECOMMISSION") && ctx.args.length === 4) {
    const id = intArg(ctx.args[3] as Buffer);
    if (id <= 0) throw invalidArg("node id must be positive");
    const admin = adminOf(ctx);
    const text = sub === "REMOVE" ? await admin.removeNode(id) : await admin.decommissionNode(id);
    return simple(text);
  }
  throw invalidArg(
    "unknown subcommand or wrong number of arguments for 'TESSERA NODE'. Try TESSERA NODE HELP.",
  );
};

const RANGE_HELP = [
  "TESSERA RANGE <subcommand> [<arg> ...]. Subcommands are:",
  "LIST",
  "    Every range: id, span (slots of keyspace 0, or internal keys), generation, leader, voters, learners.",
  "SPLIT <slot> [<slot> ...]",
  "    Split the ranges of keyspace 0 holding these slots at each slot's boundary.",
  "HELP",
  "    Print this help.",
];

const range: Handler = async (ctx) => {
  const sub = optionArg(ctx.args[2] as Buffer);
  if (sub === "HELP" && ctx.args.length === 3) return helpReply(RANGE_HELP);
  if (sub === "LIST" && ctx.args.length === 3) {
    return arrayReply(
      describeRanges(ctx.server.service.ranges()).map((fields) =>
        mapReply(fields.map(([k, v]) => [bulkReply(k), bulkReply(v)] as const)),
      ),
    );
  }
  if (sub === "SPLIT" && ctx.args.length >= 4) {
    const slots = ctx.args.slice(3).map((a) => intArg(a as Buffer));
    for (const slot of slots)
      if (slot <= 0 || slot >= SLOT_COUNT) throw invalidArg(`slot must be in 1..${SLOT_COUNT - 1}`);
    const admin = adminOf(ctx);
    const made: number[] = [];
    for (const slot of slots) made.push(await admin.splitAtSlot(slot));
    return arrayReply(made.map((id) => ({ t: "int", v: id })));
  }
  throw invalidArg(
    "unknown subcommand or wrong number of arguments for 'TESSERA RANGE'. Try TESSERA RANGE HELP.",
  );
};

const status: Handler = async (ctx) => bulkReply(await adminOf(ctx).statusJson());

export const CLUSTER_HANDLERS: Readonly<Record<string, Handler>> = {
  "tessera|node": node,
  "tessera|range": range,
  "tessera|status": status,
};
