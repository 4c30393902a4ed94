/**
 * The server layer's public surface, for the `tessera` command (src/cli):
 * starting a node, its configuration and limits.
 */
export { checkNodeLimits, DEFAULT_NODE_LIMITS, type NodeLimits } from "./limits.js";
export { createLogger, type Logger } from "./logger.js";
export { type RunningNode, type StartNodeOptions, startNode } from "./node.js";
export { type JoinAddress, LOG_LEVELS, type LogLevel, type NodeConfig } from "./node-config.js";
export { TESSERA_VERSION } from "./version.js";
