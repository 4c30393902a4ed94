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
import { TesseraError } from "../../../lib/index.js";
import { intArg, invalidArg, optionArg } from "../args.js";
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

const status: Handler = async (ctx) => bulkReply(await adminOf(ctx).statusJson());

export const CLUSTER_HANDLERS: Readonly<Record<string, Handler>> = {
  "tessera|node": node,
  "tessera|status": status,
};
