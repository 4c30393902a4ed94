/**
 * Connection commands (Redis networking.c and acl.c): PING ECHO SELECT QUIT
 * RESET HELLO AUTH. Tessera has one user, `default`, whose password is
 * `requirepass` (none when empty, in which case any password is accepted for
 * `default`, as Redis's nopass user does).
 */
import { timingSafeEqual } from "node:crypto";
import { TesseraError } from "../../../lib/index.js";
import { intArg, invalidArg, optionArg, textArg } from "../args.js";
import type { ClientState, CommandContext, Handler } from "../command-spec.js";
import {
  AUTH_WITHOUT_PASSWORD_TEXT,
  arityError,
  HELLO_NOAUTH_TEXT,
  NOPROTO_TEXT,
  syntaxError,
} from "../errors.js";
import {
  arrayReply,
  bulkReply,
  errorReply,
  fieldMap,
  integer,
  R_OK,
  type Reply,
  simple,
} from "../reply.js";
import { checkClientName } from "./client.js";

/** The Redis version Tessera answers as, in HELLO and INFO. */
export const REDIS_COMPATIBLE_VERSION = "7.2.0";

const ping: Handler = (ctx) => {
  if (ctx.args.length > 2) throw arityError("ping");
  return ctx.args.length === 2 ? bulkReply(ctx.args[1] as Buffer) : simple("PONG");
};

const echo: Handler = (ctx) => bulkReply(ctx.args[1] as Buffer);

const select: Handler = (ctx) => {
  const db = intArg(ctx.args[1] as Buffer);
  if (db < 0 || db >= ctx.server.databases) throw invalidArg("DB index is out of range");
  ctx.client.db = db;
  return R_OK;
};

const quit: Handler = () => R_OK;

function passwordMatches(given: Buffer, expected: string): boolean {
  const want = Buffer.from(expected);
  return given.length === want.length && timingSafeEqual(given, want);
}

/**
 * Checks credentials for `default` (the only user). Throws WRONGPASS, or
 * returns true when the client is now authenticated.
 */
function authenticate(ctx: CommandContext, user: Buffer | undefined, password: Buffer): void {
  const required = ctx.server.requirePass();
  const userOk = user === undefined || textArg(user) === "default";
  if (userOk && (required === "" || passwordMatches(password, required))) {
    ctx.client.setAuthenticated(true);
    return;
  }
  throw new TesseraError("WRONGPASS", "invalid username-password pair or user is disabled.");
}

const auth: Handler = (ctx) => {
  const { args } = ctx;
  if (args.length > 3) throw syntaxError();
  if (args.length === 2 && ctx.server.requirePass() === "")
    return errorReply(AUTH_WITHOUT_PASSWORD_TEXT);
  authenticate(
    ctx,
    args.length === 3 ? (args[1] as Buffer) : undefined,
    args[args.length - 1] as Buffer,
  );
  return R_OK;
};

/** HELLO's reply: the server's identity, as Redis lists it. */
export function helloReply(ctx: CommandContext): Reply {
  return fieldMap({
    server: bulkReply("redis"),
    version: bulkReply(REDIS_COMPATIBLE_VERSION),
    proto: integer(ctx.client.proto),
    id: integer(ctx.client.id),
    mode: bulkReply(ctx.server.topology !== undefined ? "cluster" : "standalone"),
    role: bulkReply("master"),
    modules: arrayReply([]),
  });
}

const hello: Handler = (ctx) => {
  const { args } = ctx;
  let proto: 2 | 3 | undefined;
  let next = 1;
  if (args.length >= 2) {
    const ver = intArg(args[1] as Buffer, () =>
      invalidArg("Protocol version is not an integer or out of range"),
    );
    if (ver < 2 || ver > 3) return errorReply(NOPROTO_TEXT);
    proto = ver as 2 | 3;
    next = 2;
  }
  let user: Buffer | undefined;
  let password: Buffer | undefined;
  let name: Buffer | undefined;
  for (let j = next; j < args.length; j++) {
    const more = args.length - 1 - j;
    const opt = optionArg(args[j] as Buffer);
    if (opt === "AUTH" && more >= 2) {
      user = args[j + 1] as Buffer;
      password = args[j + 2] as Buffer;
      j += 2;
    } else if (opt === "SETNAME" && more >= 1) {
      name = args[j + 1] as Buffer;
      j++;
    } else {
      throw invalidArg(`Syntax error in HELLO option '${textArg(args[j] as Buffer)}'`);
    }
  }
  if (user !== undefined && password !== undefined) authenticate(ctx, user, password);
  if (!ctx.client.authenticated && ctx.server.requirePass() !== "")
    return errorReply(HELLO_NOAUTH_TEXT);
  if (name !== undefined) ctx.client.name = checkClientName(name);
  if (proto !== undefined) ctx.client.proto = proto;
  return helloReply(ctx);
};

/** RESET: the connection returns to the state of a new one (Redis `clearClientConnectionState`). */
export function resetClient(client: ClientState, requirePass: string): void {
  client.db = 0;
  client.proto = 2;
  client.name = "";
  client.noEvict = false;
  client.noTouch = false;
  client.readOnly = false;
  client.asking = false;
  client.clusterAware = false;
  client.setAuthenticated(requirePass === "");
}

const reset: Handler = (ctx) => {
  resetClient(ctx.client, ctx.server.requirePass());
  ctx.client.consistency = ctx.server.defaultConsistency;
  return simple("RESET");
};

export const CONNECTION_HANDLERS: Readonly<Record<string, Handler>> = {
  ping,
  echo,
  select,
  quit,
  auth,
  hello,
  reset,
};
