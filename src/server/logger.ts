/**
 * The node's structured logger: pino writing JSON lines to stdout,
 * synchronously, so the lines a process wrote before it exits (or is killed)
 * are the lines it logged, in order. Every line carries the node id once the
 * store is open (a child logger).
 */
import { pino } from "pino";
import type { LogLevel } from "./node-config.js";

export type Logger = pino.Logger;

export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { pid: process.pid } }, pino.destination({ dest: 1, sync: true }));
}
