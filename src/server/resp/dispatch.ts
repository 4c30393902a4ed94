/**
 * Turning a parsed request into a pipeline entry: look the command up in the
 * table, check its arity and the client's authentication, and run its handler
 * when the pipeline says so. The checks and their error texts follow Redis's
 * `processCommand` in order: unknown command, unknown subcommand, arity, auth.
 *
 * A handler's TesseraError becomes an error reply through errors.ts; any other
 * exception is a bug and propagates (it crashes the process, by design).
 */
import { assert, isTesseraError, TesseraError } from "../../lib/index.js";
import type {
  ClientState,
  CommandContext,
  CommandInfo,
  Handler,
  ServerView,
} from "./command-spec.js";
import { hasOwnHandler, lookupCommand } from "./command-table.js";
import { arityError, errorReplyOf } from "./errors.js";
import type { ParsedRequest } from "./parser.js";
import type { PipelineEntry } from "./pipeline.js";
import type { Reply } from "./reply.js";

/** How many bytes of a client's text Redis echoes back in an error. */
const ECHO_BYTES_MAX = 128;

/** Redis's `%.128s` of a client-sent string, with CR and LF shown as spaces. */
function echo(arg: Buffer, maxBytes = ECHO_BYTES_MAX): string {
  const nul = arg.indexOf(0);
  const cut = arg.subarray(0, Math.min(nul >= 0 ? nul : arg.length, Math.max(0, maxBytes)));
  return cut.toString("latin1").replace(/[\r\n]/g, " ");
}

export function unknownCommandText(args: readonly Buffer[]): string {
  let rest = "";
  for (let i = 1; i < args.length && rest.length < ECHO_BYTES_MAX; i++) {
    rest += `'${echo(args[i] as Buffer, ECHO_BYTES_MAX - rest.length)}' `;
  }
  return `unknown command '${echo(args[0] as Buffer)}', with args beginning with: ${rest}`;
}

function arityOk(arity: number, argc: number): boolean {
  return arity > 0 ? argc === arity : argc >= -arity;
}

/** Finds the command a request names, or the TesseraError Redis would answer. */
export function resolveCommand(args: readonly Buffer[]): CommandInfo | TesseraError {
  const name = (args[0] as Buffer).toString("latin1").toLowerCase();
  const info = lookupCommand(name);
  if (info === undefined || name.includes("|")) {
    return new TesseraError("UNKNOWN_COMMAND", unknownCommandText(args));
  }
  if (!arityOk(info.arity, args.length)) return arityError(info.name);
  if (info.subcommands === undefined || (args.length === 1 && hasOwnHandler(info))) return info;
  const subName = (args[1] as Buffer).toString("latin1").toLowerCase();
  const sub = lookupCommand(`${info.name}|${subName}`);
  if (sub === undefined) {
    return new TesseraError(
      "UNKNOWN_COMMAND",
      `unknown subcommand '${echo(args[1] as Buffer)}'. Try ${info.name.toUpperCase()} HELP.`,
    );
  }
  if (!arityOk(sub.arity, args.length)) return arityError(sub.name);
  return sub;
}

/** Runs a handler, turning a TesseraError (thrown or rejected) into its reply. */
export function runHandler(handler: Handler, ctx: CommandContext): Reply | Promise<Reply> {
  try {
    const result = handler(ctx);
    if (!(result instanceof Promise)) return result;
    return result.catch((e: unknown) => {
      if (isTesseraError(e)) return errorReplyOf(e);
      throw e;
    });
  } catch (e) {
    if (isTesseraError(e)) return errorReplyOf(e);
    throw e;
  }
}

export function prepareRequest(
  server: ServerView,
  handlers: ReadonlyMap<string, Handler>,
  client: ClientState,
  request: ParsedRequest,
  onCommand: (info: CommandInfo) => void,
): PipelineEntry {
  const args = request.args;
  const resolved = resolveCommand(args);
  if (resolved instanceof TesseraError) {
    const reply = errorReplyOf(resolved);
    return { kind: "local", closeAfter: false, run: () => reply };
  }
  const info = resolved;
  const handler = handlers.get(info.name);
  assert(handler !== undefined, `command ${info.name} has no handler`);
  return {
    kind: info.kind,
    closeAfter: info.name === "quit",
    run: () => {
      if (!client.authenticated && !info.flags.includes("no_auth") && server.requirePass() !== "") {
        return errorReplyOf(new TesseraError("NOAUTH", "Authentication required."));
      }
      onCommand(info);
      client.lastCommand = info.name;
      const reply = runHandler(handler, { client, server, args, command: info });
      // ASKING holds for the one command after it (Redis resetClient); the
      // handler has read it by now, synchronously, before any await.
      if (info.name !== "asking") client.asking = false;
      return reply;
    },
  };
}
