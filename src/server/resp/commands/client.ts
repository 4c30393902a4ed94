/**
 * CLIENT subcommands (Redis networking.c `clientCommand`): ID SETNAME GETNAME
 * LIST INFO KILL SETINFO NO-EVICT NO-TOUCH HELP, and Tessera's CONSISTENCY,
 * which reads or sets the connection's read level (strong, quorum, any, all;
 * DESIGN.md §5). CLIENT LIST and INFO show it as `consistency=`.
 */
import { READ_CONSISTENCIES, type ReadConsistency } from "../../../range/types.js";
import { intArg, invalidArg, optionArg, textArg } from "../args.js";
import type { ClientState, Handler } from "../command-spec.js";
import { syntaxError } from "../errors.js";
import { bulkReply, helpReply, integer, R_NULL, R_OK, verbatim } from "../reply.js";

/** Redis's rule: names are printable ASCII without spaces ('!' to '~'). */
function isValidName(name: Buffer): boolean {
  for (const c of name) if (c < 0x21 || c > 0x7e) return false;
  return true;
}

export function checkClientName(name: Buffer): string {
  if (!isValidName(name))
    throw invalidArg("Client names cannot contain spaces, newlines or special characters.");
  return name.toString("latin1");
}

const id: Handler = (ctx) => integer(ctx.client.id);

const setname: Handler = (ctx) => {
  ctx.client.name = checkClientName(ctx.args[2] as Buffer);
  return R_OK;
};

const getname: Handler = (ctx) => (ctx.client.name === "" ? R_NULL : bulkReply(ctx.client.name));

const CLIENT_TYPES: ReadonlySet<string> = new Set([
  "NORMAL",
  "MASTER",
  "SLAVE",
  "REPLICA",
  "PUBSUB",
]);

const list: Handler = (ctx) => {
  const { args } = ctx;
  let clients = ctx.server.clients();
  if (args.length === 4 && optionArg(args[2] as Buffer) === "TYPE") {
    const type = optionArg(args[3] as Buffer);
    if (!CLIENT_TYPES.has(type))
      throw invalidArg(`Unknown client type '${textArg(args[3] as Buffer)}'`);
    // Every client of Tessera's RESP port is a normal client.
    if (type !== "NORMAL") clients = [];
  } else if (args.length > 3 && optionArg(args[2] as Buffer) === "ID") {
    const ids = new Set<number>();
    for (const arg of args.slice(3)) {
      const n = intArg(arg, () => invalidArg("Invalid client ID"));
      if (n <= 0) throw invalidArg("Invalid client ID");
      ids.add(n);
    }
    clients = clients.filter((c) => ids.has(c.id));
  } else if (args.length !== 2) {
    throw syntaxError();
  }
  return verbatim(clients.map((c) => `${ctx.server.describeClient(c)}\n`).join(""));
};

const info: Handler = (ctx) => verbatim(`${ctx.server.describeClient(ctx.client)}\n`);

interface KillFilter {
  id?: number;
  addr?: string;
  laddr?: string;
  user?: string;
  type?: string;
  maxAgeSec?: number;
  skipMe: boolean;
}

function parseKillFilter(args: readonly Buffer[]): KillFilter {
  const filter: KillFilter = { skipMe: true };
  for (let i = 2; i < args.length; i += 2) {
    const opt = optionArg(args[i] as Buffer);
    const value = args[i + 1];
    if (value === undefined) throw syntaxError();
    if (opt === "ID") {
      const n = intArg(value, () => invalidArg("client-id should be greater than 0"));
      if (n <= 0) throw invalidArg("client-id should be greater than 0");
      filter.id = n;
    } else if (opt === "ADDR") filter.addr = textArg(value);
    else if (opt === "LADDR") filter.laddr = textArg(value);
    else if (opt === "USER") filter.user = textArg(value);
    else if (opt === "TYPE") {
      const type = optionArg(value);
      if (!CLIENT_TYPES.has(type)) throw invalidArg(`Unknown client type '${textArg(value)}'`);
      filter.type = type;
    } else if (opt === "SKIPME") {
      const yes = optionArg(value);
      if (yes !== "YES" && yes !== "NO") throw syntaxError();
      filter.skipMe = yes === "YES";
    } else if (opt === "MAXAGE") {
      filter.maxAgeSec = intArg(value);
    } else throw syntaxError();
  }
  return filter;
}

function matches(c: ClientState, f: KillFilter, self: ClientState, nowMs: number): boolean {
  if (f.id !== undefined && c.id !== f.id) return false;
  if (f.addr !== undefined && c.addr !== f.addr) return false;
  if (f.laddr !== undefined && c.laddr !== f.laddr) return false;
  if (f.user !== undefined && f.user !== "default") return false;
  if (f.type !== undefined && f.type !== "NORMAL") return false;
  if (f.maxAgeSec !== undefined && (nowMs - c.createdAtMs) / 1000 < f.maxAgeSec) return false;
  return !(f.skipMe && c === self);
}

const kill: Handler = (ctx) => {
  const { args, server } = ctx;
  if (args.length === 3) {
    // The old form: CLIENT KILL addr:port, replying OK or an error.
    const addr = textArg(args[2] as Buffer);
    const target = server.clients().find((c) => c.addr === addr);
    if (target === undefined) throw invalidArg("No such client");
    server.killClient(target.id);
    return R_OK;
  }
  const filter = parseKillFilter(args);
  const now = server.nowMs();
  let killed = 0;
  for (const c of server.clients()) {
    if (matches(c, filter, ctx.client, now) && server.killClient(c.id)) killed++;
  }
  return integer(killed);
};

const setinfo: Handler = (ctx) => {
  const attr = optionArg(ctx.args[2] as Buffer);
  const value = ctx.args[3] as Buffer;
  if (attr !== "LIB-NAME" && attr !== "LIB-VER") {
    throw invalidArg(`Unrecognized option '${textArg(ctx.args[2] as Buffer)}'`);
  }
  if (!isValidName(value) && value.length > 0) {
    throw invalidArg(
      `${attr.toLowerCase()} cannot contain spaces, newlines or special characters.`,
    );
  }
  if (attr === "LIB-NAME") ctx.client.libName = value.toString("latin1");
  else ctx.client.libVer = value.toString("latin1");
  return R_OK;
};

function onOff(set: (client: ClientState, on: boolean) => void): Handler {
  return (ctx) => {
    const v = optionArg(ctx.args[2] as Buffer);
    if (v !== "ON" && v !== "OFF") throw syntaxError();
    set(ctx.client, v === "ON");
    return R_OK;
  };
}

const consistency: Handler = (ctx) => {
  if (ctx.args.length === 2) return bulkReply(ctx.client.consistency);
  if (ctx.args.length > 3) throw syntaxError();
  const level = textArg(ctx.args[2] as Buffer).toLowerCase();
  if (!(READ_CONSISTENCIES as readonly string[]).includes(level)) {
    throw invalidArg(
      `invalid consistency level '${textArg(ctx.args[2] as Buffer)}' (expected strong, quorum, any or all)`,
    );
  }
  ctx.client.consistency = level as ReadConsistency;
  return R_OK;
};

const HELP_LINES = [
  "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CONSISTENCY [STRONG|QUORUM|ANY|ALL]",
  "    Return or set the read consistency level of the current connection.",
  "GETNAME",
  "    Return the name of the current connection.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are: ID, ADDR, LADDR, USER, TYPE, SKIPME, MAXAGE.",
  "LIST [options ...]",
  "    Return information about client connections. Options: TYPE <type>, ID <id> [...].",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "SETINFO <option> <value>",
  "    Set client meta attr. Options are: LIB-NAME, LIB-VER.",
  "NO-EVICT (ON|OFF)",
  "    Accepted for compatibility.",
  "NO-TOUCH (ON|OFF)",
  "    Accepted for compatibility.",
  "HELP",
  "    Print this help.",
];

export const CLIENT_HANDLERS: Readonly<Record<string, Handler>> = {
  "client|id": id,
  "client|setname": setname,
  "client|getname": getname,
  "client|list": list,
  "client|info": info,
  "client|kill": kill,
  "client|setinfo": setinfo,
  "client|no-evict": onOff((c, on) => {
    c.noEvict = on;
  }),
  "client|no-touch": onOff((c, on) => {
    c.noTouch = on;
  }),
  "client|consistency": consistency,
  "client|help": () => helpReply(HELP_LINES),
};
