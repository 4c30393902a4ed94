/**
 * COMMAND and its subcommands (Redis server.c `commandCommand`): the command
 * table as clients read it. COMMAND INFO gives Redis 7's ten-field entries
 * (name, arity, flags, first/last/step, ACL categories, tips, key specs,
 * subcommands); COMMAND DOCS the documentation maps redis-cli builds its hints
 * from; COMMAND GETKEYS finds key arguments from the key positions.
 */
import { globMatch, TesseraError } from "../../../lib/index.js";
import { invalidArg, optionArg, textArg } from "../args.js";
import { type ArgDoc, parseSyntax } from "../command-docs.js";
import type { CommandInfo, Handler, ServerView } from "../command-spec.js";
import { resolveCommand } from "../dispatch.js";
import { syntaxError } from "../errors.js";
import {
  arrayReply,
  bulkReply,
  fieldMap,
  helpReply,
  integer,
  mapReply,
  R_NULL,
  type Reply,
  setReply,
  simple,
} from "../reply.js";

function keySpecs(c: CommandInfo): Reply {
  if (c.firstKey === 0) return arrayReply([]);
  const flags = c.kind === "write" ? ["RW", "update"] : ["RO", "access"];
  const limit = 0;
  return arrayReply([
    fieldMap({
      flags: setReply(flags.map(simple)),
      begin_search: fieldMap({
        type: bulkReply("index"),
        spec: fieldMap({ index: integer(c.firstKey) }),
      }),
      find_keys: fieldMap({
        type: bulkReply("range"),
        spec: fieldMap({
          lastkey: integer(c.lastKey < 0 ? c.lastKey : c.lastKey - c.firstKey),
          keystep: integer(c.keyStep),
          limit: integer(limit),
        }),
      }),
    }),
  ]);
}

export function commandInfoReply(c: CommandInfo): Reply {
  return arrayReply([
    bulkReply(c.name),
    integer(c.arity),
    setReply(c.flags.map(simple)),
    integer(c.firstKey),
    integer(c.lastKey),
    integer(c.keyStep),
    setReply(c.acl.map((a) => simple(`@${a}`))),
    setReply([]),
    keySpecs(c),
    arrayReply((c.subcommands ?? []).map(commandInfoReply)),
  ]);
}

function argDocReply(a: ArgDoc): Reply {
  const fields: Record<string, Reply> = {
    name: bulkReply(a.name),
    type: bulkReply(a.type),
  };
  if (a.type === "key") fields.key_spec_index = integer(0);
  if (a.token !== undefined) fields.token = bulkReply(a.token);
  const flags = [...(a.optional ? ["optional"] : []), ...(a.multiple ? ["multiple"] : [])];
  if (flags.length > 0) fields.flags = setReply(flags.map(simple));
  if (a.arguments !== undefined) fields.arguments = arrayReply(a.arguments.map(argDocReply));
  return fieldMap(fields);
}

export function commandDocsReply(c: CommandInfo): Reply {
  const fields: Record<string, Reply> = {
    summary: bulkReply(c.summary),
    since: bulkReply(c.since),
    group: bulkReply(c.group),
  };
  const args = parseSyntax(c.syntax);
  if (args.length > 0) fields.arguments = arrayReply(args.map(argDocReply));
  if (c.subcommands !== undefined) {
    fields.subcommands = mapReply(
      c.subcommands.map((s) => [bulkReply(s.name), commandDocsReply(s)] as const),
    );
  }
  return fieldMap(fields);
}

const command: Handler = (ctx) => arrayReply(ctx.server.commands().map(commandInfoReply));

const count: Handler = (ctx) => integer(ctx.server.commands().length);

function named(server: ServerView, args: readonly Buffer[]): (CommandInfo | undefined)[] {
  if (args.length === 0) return [...server.commands()];
  return args.map((a) => server.command(textArg(a).toLowerCase()));
}

const info: Handler = (ctx) =>
  arrayReply(
    named(ctx.server, ctx.args.slice(2)).map((c) =>
      c === undefined ? R_NULL : commandInfoReply(c),
    ),
  );

const docs: Handler = (ctx) => {
  const found = named(ctx.server, ctx.args.slice(2)).filter(
    (c): c is CommandInfo => c !== undefined,
  );
  return mapReply(found.map((c) => [bulkReply(c.name), commandDocsReply(c)] as const));
};

function allNames(server: ServerView): CommandInfo[] {
  return server.commands().flatMap((c) => [c, ...(c.subcommands ?? [])]);
}

const list: Handler = (ctx) => {
  const { args } = ctx;
  let commands = allNames(ctx.server);
  if (args.length === 5 && optionArg(args[2] as Buffer) === "FILTERBY") {
    const by = optionArg(args[3] as Buffer);
    const value = textArg(args[4] as Buffer);
    if (by === "MODULE") commands = [];
    else if (by === "ACLCAT")
      commands = commands.filter((c) => c.acl.includes(value.toLowerCase()));
    else if (by === "PATTERN") {
      const pattern = Buffer.from(value.toLowerCase());
      commands = commands.filter((c) => globMatch(pattern, Buffer.from(c.name)));
    } else throw syntaxError();
  } else if (args.length !== 2) {
    throw syntaxError();
  }
  return arrayReply(commands.map((c) => bulkReply(c.name)));
};

const getkeys: Handler = (ctx) => {
  const target = ctx.args.slice(2);
  const resolved = resolveCommand(target);
  if (resolved instanceof TesseraError) {
    throw invalidArg(
      resolved.code === "WRONG_ARITY"
        ? "Invalid number of arguments specified for command"
        : "Invalid command specified",
    );
  }
  if (resolved.firstKey === 0) throw invalidArg("The command has no key arguments");
  const last = resolved.lastKey < 0 ? target.length + resolved.lastKey : resolved.lastKey;
  const keys: Reply[] = [];
  for (let i = resolved.firstKey; i <= last && i < target.length; i += resolved.keyStep) {
    keys.push(bulkReply(target[i] as Buffer));
  }
  return arrayReply(keys);
};

const HELP = [
  "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "(no subcommand)",
  "    Return details about all commands.",
  "COUNT",
  "    Return the total number of commands in this server.",
  "LIST",
  "    Return a list of all commands in this server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full command.",
  "HELP",
  "    Print this help.",
];

export const COMMAND_HANDLERS: Readonly<Record<string, Handler>> = {
  command,
  "command|count": count,
  "command|info": info,
  "command|docs": docs,
  "command|list": list,
  "command|getkeys": getkeys,
  "command|help": () => helpReply(HELP),
};
