/**
 * Server commands (Redis server.c, config.c, replication.c, debug.c): INFO TIME
 * CONFIG GET/SET/RESETSTAT/HELP WAIT LASTSAVE DEBUG. DEBUG offers only what is
 * harmless on a production node (SLEEP, JMAP, PROTOCOL, LOG, HELP), plus
 * FAULT, which the bus refuses unless the node runs with fault injection on.
 */
import { intArg, invalidArg, optionArg, textArg } from "../args.js";
import type { Handler } from "../command-spec.js";
import { arityError, syntaxError } from "../errors.js";
import { buildInfo, infoSections } from "../info.js";
import {
  arrayReply,
  boolReply,
  bulkReply,
  doubleReply,
  helpReply,
  integer,
  mapReply,
  R_NULL,
  R_OK,
  type Reply,
  setReply,
  simple,
  verbatim,
} from "../reply.js";

const info: Handler = async (ctx) => {
  const sections = infoSections(ctx.args.slice(1).map((a) => textArg(a)));
  // Its key counts read committed state: the writes answered so far first.
  await ctx.server.service.settled();
  return verbatim(buildInfo(ctx.server, sections));
};

const time: Handler = (ctx) => {
  const ms = ctx.server.nowMs();
  const micros = Math.floor((ms % 1000) * 1000);
  return arrayReply([bulkReply(String(Math.floor(ms / 1000))), bulkReply(String(micros))]);
};

const lastsave: Handler = (ctx) => {
  const st = ctx.server.service.status();
  return integer(
    Math.floor((st.lastSyncAtMs > 0 ? st.lastSyncAtMs : ctx.server.startedAtMs) / 1000),
  );
};

/**
 * SAVE and BGSAVE: every acknowledged write is already committed and fsynced,
 * so there is nothing to save; they answer as Redis does after a save.
 */
const save: Handler = () => R_OK;

const bgsave: Handler = (ctx) => {
  if (
    ctx.args.length > 2 ||
    (ctx.args.length === 2 && optionArg(ctx.args[1] as Buffer) !== "SCHEDULE")
  ) {
    throw syntaxError();
  }
  return simple("Background saving started");
};

const configGet: Handler = (ctx) => {
  const seen = new Map<string, string>();
  for (const arg of ctx.args.slice(2)) {
    for (const [name, value] of ctx.server.configGet(textArg(arg)))
      if (!seen.has(name)) seen.set(name, value);
  }
  return mapReply([...seen].map(([k, v]) => [bulkReply(k), bulkReply(v)] as const));
};

const configSet: Handler = (ctx) => {
  const { args } = ctx;
  if (args.length % 2 !== 0) throw arityError("config|set");
  const pairs: [string, string][] = [];
  for (let i = 2; i < args.length; i += 2) {
    const name = textArg(args[i] as Buffer).toLowerCase();
    if (pairs.some(([n]) => n === name)) {
      throw invalidArg(
        `CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`,
      );
    }
    pairs.push([name, textArg(args[i + 1] as Buffer)]);
  }
  for (const [name, value] of pairs) ctx.server.configSet(name, value);
  return R_OK;
};

const configResetstat: Handler = (ctx) => {
  ctx.server.resetStats();
  return R_OK;
};

const CONFIG_HELP = [
  "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "HELP",
  "    Print this help.",
];

const wait: Handler = async (ctx) => {
  const numReplicas = intArg(ctx.args[1] as Buffer);
  const timeoutMs = intArg(ctx.args[2] as Buffer, () =>
    invalidArg("timeout is not an integer or out of range"),
  );
  if (timeoutMs < 0) throw invalidArg("timeout is negative");
  const acked = await ctx.server.service.waitForReplicas(
    ctx.client.lastWriteIndex,
    numReplicas,
    timeoutMs,
    ctx.client.lastWriteRange,
  );
  return integer(acked);
};

/** The longest DEBUG SLEEP accepted; it delays only the calling connection. */
const DEBUG_SLEEP_SEC_MAX = 60;

const DEBUG_HELP = [
  "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "JMAP",
  "    Accepted for compatibility; does nothing.",
  "LOG <message>",
  "    Write <message> to the server log.",
  "PROTOCOL <type>",
  "    Reply with a test value of the specified type. <type> can be: string,",
  "    integer, double, null, array, set, map, verbatim, true, false.",
  "SLEEP <seconds>",
  "    Delay this connection's next reply by <seconds>. Decimals allowed.",
  "FAULT DELAY <ms> [node ...] | DROP <percent> [node ...] | PARTITION <node> ... | HEAL | STATUS",
  "    Inject bus faults (only with --enable-fault-injection).",
  "HELP",
  "    Prints this help.",
];

function protocolSample(type: string): Reply | undefined {
  switch (type) {
    case "string":
      return bulkReply("Hello World");
    case "integer":
      return integer(12345);
    case "double":
      return doubleReply(3.25);
    case "null":
      return R_NULL;
    case "array":
      return arrayReply([integer(0), integer(1), integer(2)]);
    case "set":
      return setReply([integer(0), integer(1), integer(2)]);
    case "map":
      return mapReply([0, 1, 2].map((i) => [integer(i), boolReply(i === 1)] as const));
    case "verbatim":
      return verbatim("This is a verbatim\nstring");
    case "true":
      return boolReply(true);
    case "false":
      return boolReply(false);
    default:
      return undefined;
  }
}

const debug: Handler = async (ctx) => {
  const { args } = ctx;
  const sub = optionArg(args[1] as Buffer);
  const unknown = () =>
    invalidArg(
      `unknown subcommand or wrong number of arguments for '${textArg(args[1] as Buffer)}'. Try DEBUG HELP.`,
    );
  if (sub === "HELP" && args.length === 2) return helpReply(DEBUG_HELP);
  if (sub === "JMAP" && args.length === 2) return R_OK;
  if (sub === "LOG" && args.length === 3) return R_OK;
  if (sub === "PROTOCOL" && args.length === 3) {
    const sample = protocolSample(textArg(args[2] as Buffer).toLowerCase());
    if (sample === undefined)
      throw invalidArg(
        "Wrong protocol type name. Please use one of the following: string|integer|double|null|array|set|map|verbatim|true|false",
      );
    return sample;
  }
  if (sub === "SLEEP" && args.length === 3) {
    // Redis reads the time with strtod: text that is not a number sleeps 0 s.
    const sec = Number.parseFloat(textArg(args[2] as Buffer));
    const ms = Number.isFinite(sec) ? Math.max(0, Math.min(sec, DEBUG_SLEEP_SEC_MAX)) * 1000 : 0;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    return R_OK;
  }
  if (sub === "FAULT" && args.length >= 3) {
    const admin = ctx.server.admin;
    if (admin === undefined) throw invalidArg("DEBUG FAULT needs a clustered node");
    return simple(admin.fault(args.slice(2).map((a) => textArg(a))));
  }
  throw unknown();
};

export const SERVER_HANDLERS: Readonly<Record<string, Handler>> = {
  info,
  time,
  lastsave,
  save,
  bgsave,
  "config|get": configGet,
  "config|set": configSet,
  "config|resetstat": configResetstat,
  "config|help": () => helpReply(CONFIG_HELP),
  wait,
  debug,
};
