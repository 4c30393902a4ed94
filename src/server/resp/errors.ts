/**
 * The one place where Tessera's error codes become Redis error replies. Every
 * `TesseraError` a command raises, and every error reply the state machine
 * returns, is written through `errorText`. Codes with a single Redis wording
 * always use it; the others put the error's message after the Redis prefix
 * that clients key on (ERR, MOVED, TRYAGAIN, CLUSTERDOWN, …).
 */
import { assertNever, type ErrorCode, TesseraError } from "../../lib/index.js";
import type { Reply } from "./reply.js";

export const WRONG_TYPE_TEXT = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const NOT_INTEGER_TEXT = "ERR value is not an integer or out of range";
export const NOT_FLOAT_TEXT = "ERR value is not a valid float";
export const SYNTAX_TEXT = "ERR syntax error";
export const NOAUTH_TEXT = "NOAUTH Authentication required.";
export const WRONGPASS_TEXT = "WRONGPASS invalid username-password pair or user is disabled.";

function withDefault(message: string, fallback: string): string {
  return message.length > 0 ? message : fallback;
}

/** The error line (without `-` and CRLF) Redis would send for `code`. */
export function errorText(
  code: ErrorCode,
  message: string,
  details?: Readonly<Record<string, unknown>>,
): string {
  switch (code) {
    case "WRONG_TYPE":
      return WRONG_TYPE_TEXT;
    case "NOAUTH":
      return NOAUTH_TEXT;
    case "WRONGPASS":
      return WRONGPASS_TEXT;
    case "NOT_INTEGER":
      return `ERR ${withDefault(message, "value is not an integer or out of range")}`;
    case "NOT_FLOAT":
      return `ERR ${withDefault(message, "value is not a valid float")}`;
    case "OVERFLOW":
      return `ERR ${withDefault(message, "increment or decrement would overflow")}`;
    case "SYNTAX":
      return `ERR ${withDefault(message, "syntax error")}`;
    case "NO_SUCH_KEY":
      return `ERR ${withDefault(message, "no such key")}`;
    case "PROTOCOL":
      return `ERR Protocol error: ${message}`;
    case "WRONG_ARITY":
    case "UNKNOWN_COMMAND":
    case "INVALID_ARGUMENT":
    case "LIMIT_EXCEEDED":
    case "TIMEOUT":
    case "DATA_DIR":
    case "CORRUPTION":
    case "INTERNAL":
      return `ERR ${message}`;
    case "NOPERM":
      return `NOPERM ${message}`;
    case "MOVED":
    case "ASK":
      return `${code} ${details?.slot ?? 0} ${details?.address ?? message}`;
    case "CROSSSLOT":
      return "CROSSSLOT Keys in request don't hash to the same slot";
    case "NOT_LEADER":
    case "PROPOSAL_DROPPED":
    case "RANGE_MISMATCH":
    case "TRY_AGAIN":
      return `TRYAGAIN ${withDefault(message, "please retry")}`;
    case "UNAVAILABLE":
    case "CLUSTER_DOWN":
      return `CLUSTERDOWN ${withDefault(message, "The cluster is down")}`;
    case "READONLY":
      return `READONLY ${withDefault(message, "You can't write against a read only replica.")}`;
    case "SHUTTING_DOWN":
      return `ERR ${withDefault(message, "Tessera is shutting down")}`;
    default:
      return assertNever(code, "error code");
  }
}

/** The error reply for a TesseraError. */
export function errorReplyOf(e: TesseraError): Reply {
  return { t: "error", v: errorText(e.code, e.message, e.details) };
}

/** Shorthands for the errors command handlers raise most. */
export const syntaxError = (): TesseraError => new TesseraError("SYNTAX", "syntax error");
export const notInteger = (): TesseraError =>
  new TesseraError("NOT_INTEGER", "value is not an integer or out of range");
export const invalidArgument = (message: string): TesseraError =>
  new TesseraError("INVALID_ARGUMENT", message);
export const arityError = (name: string): TesseraError =>
  new TesseraError("WRONG_ARITY", `wrong number of arguments for '${name}' command`);

/** Replies Redis gives with prefixes outside the error-code table (connection handshake). */
export const NOPROTO_TEXT = "NOPROTO unsupported protocol version";
export const HELLO_NOAUTH_TEXT =
  "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time";
export const AUTH_WITHOUT_PASSWORD_TEXT =
  "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
