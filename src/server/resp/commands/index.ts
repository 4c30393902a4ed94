/**
 * Every command handler, keyed by the command table's names. A test checks
 * that this map and the table name exactly the same commands.
 */
import type { Handler } from "../command-spec.js";
import { CLIENT_HANDLERS } from "./client.js";
import { CLUSTER_HANDLERS } from "./cluster.js";
import { COMMAND_HANDLERS } from "./command.js";
import { CONNECTION_HANDLERS } from "./connection.js";
import { KEY_HANDLERS } from "./keys.js";
import { REDIS_CLUSTER_HANDLERS } from "./redis-cluster.js";
import { SERVER_HANDLERS } from "./server.js";
import { STRING_HANDLERS } from "./strings.js";

export const HANDLERS: ReadonlyMap<string, Handler> = new Map(
  Object.entries({
    ...STRING_HANDLERS,
    ...KEY_HANDLERS,
    ...CONNECTION_HANDLERS,
    ...CLIENT_HANDLERS,
    ...SERVER_HANDLERS,
    ...COMMAND_HANDLERS,
    ...CLUSTER_HANDLERS,
    ...REDIS_CLUSTER_HANDLERS,
  }),
);
