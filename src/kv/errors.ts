/**
 * The error replies the state machine gives, with Redis's exact message text
 * (without the "ERR "/"WRONGTYPE " prefix, which the RESP server derives from
 * the code). They are replies, not exceptions: an entry that errors is applied
 * identically, with no writes, on every replica.
 */

import type { KvReply } from "./reply.js";
import { error } from "./reply.js";

export const WRONG_TYPE: KvReply = error(
  "WRONG_TYPE",
  "Operation against a key holding the wrong kind of value",
);
export const NOT_INTEGER: KvReply = error("NOT_INTEGER", "value is not an integer or out of range");
export const OVERFLOW: KvReply = error("OVERFLOW", "increment or decrement would overflow");
export const NOT_FLOAT: KvReply = error("NOT_FLOAT", "value is not a valid float");
export const NAN_OR_INFINITY: KvReply = error(
  "INVALID_ARGUMENT",
  "increment would produce NaN or Infinity",
);
export const NO_SUCH_KEY: KvReply = error("NO_SUCH_KEY", "no such key");
export const STRING_TOO_LONG: KvReply = error(
  "LIMIT_EXCEEDED",
  "string exceeds maximum allowed size (proto-max-bulk-len)",
);
export const SAME_OBJECT: KvReply = error(
  "INVALID_ARGUMENT",
  "source and destination objects are the same",
);
export const OFFSET_OUT_OF_RANGE: KvReply = error("INVALID_ARGUMENT", "offset is out of range");
export const INVALID_CURSOR: KvReply = error("INVALID_ARGUMENT", "invalid cursor");

/** Redis's reply to an expiry time that overflows ("invalid expire time in 'set' command"). */
export function invalidExpireTime(command: string): KvReply {
  return error("INVALID_ARGUMENT", `invalid expire time in '${command}' command`);
}
