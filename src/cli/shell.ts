/**
 * `tessera cli`: an interactive shell and one-shot command runner for a
 * Tessera node's Redis port, behaving like redis-cli where users expect it.
 *
 *   tessera cli [-h host] [-p port] [-a password] [-n db] [--raw|--no-raw] [cmd [arg ...]]
 *
 * With a command it prints the reply and exits (0, or 1 when the node cannot
 * be reached). Without one it reads lines with history (~/.tessera_history),
 * `help` and `help <command>` (from the node's COMMAND DOCS, so it always
 * matches the server), the aliases `put k v` (SET), `get k`, `delete k` (DEL),
 * and `quit`/`exit`. Replies print in redis-cli's human form on a terminal and
 * its raw form otherwise, unless --raw or --no-raw says which.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  encodeRequest,
  formatRaw,
  formatTty,
  ReplyReader,
  type RespValue,
  splitLine,
} from "./resp-reply.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 7379;
/** Most history lines loaded at start. */
const HISTORY_LINES_MAX = 1000;

export interface ShellOptions {
  host: string;
  port: number;
  password: string | undefined;
  db: number;
  raw: boolean | undefined;
  command: string[];
  help: boolean;
}

/** Where the shell reads and writes (the process's streams, or a test's). */
export interface ShellIo {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
}

const PROCESS_IO: ShellIo = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
};

/** What `help` needs to know of one command (from COMMAND DOCS). */
export interface CommandHelp {
  readonly name: string;
  readonly summary: string;
  readonly since: string;
  readonly group: string;
  readonly usage: string;
}

const ALIASES: Readonly<Record<string, string>> = { put: "SET", delete: "DEL", get: "GET" };

const USAGE = `Usage: tessera cli [OPTIONS] [cmd [arg [arg ...]]]
  -h <hostname>      Server hostname (default: ${DEFAULT_HOST}).
  -p <port>          Server port (default: ${DEFAULT_PORT}).
  -a <password>      Password to use when connecting to the server.
  -n <db>            Database number.
  --raw              Use raw formatting for replies.
  --no-raw           Force formatted output even when STDOUT is not a tty.
  --help             Output this help and exit.

Examples:
  tessera cli SET greeting hello
  tessera cli -p 7379 GET greeting
  tessera cli          (interactive: try 'help', 'help set', 'put k v')
`;

export function parseShellArgs(argv: readonly string[]): ShellOptions | string {
  const o: ShellOptions = {
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    password: undefined,
    db: 0,
    raw: undefined,
    command: [],
    help: false,
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = argv[i + 1];
    if (a === "--help") o.help = true;
    else if (a === "--raw") o.raw = true;
    else if (a === "--no-raw") o.raw = false;
    else if (a === "-h" || a === "-p" || a === "-a" || a === "-n") {
      if (value === undefined) return `option ${a} needs a value`;
      i++;
      if (a === "-h") o.host = value;
      else if (a === "-a") o.password = value;
      else {
        const n = Number(value);
        if (!Number.isSafeInteger(n) || n < 0)
          return `option ${a} needs a non-negative integer, got '${value}'`;
        if (a === "-p") o.port = n;
        else o.db = n;
      }
    } else break;
  }
  o.command = argv.slice(i) as string[];
  return o;
}

/** One connection to the node, one request at a time. */
export class ShellConnection {
  private readonly reader = new ReplyReader();
  private waiting: ((r: RespValue | Error) => void)[] = [];
  private closedError: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.reader.push(chunk);
      for (let r = this.reader.next(); r !== undefined; r = this.reader.next())
        this.waiting.shift()?.(r);
    });
    socket.on("close", () => {
      this.closedError = new Error("Server closed the connection");
      for (const w of this.waiting.splice(0)) w(this.closedError);
    });
    socket.on("error", () => {});
  }

  static open(host: string, port: number): Promise<ShellConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new ShellConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  call(args: readonly (string | Buffer)[]): Promise<RespValue> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.waiting.push((r) => (r instanceof Error ? reject(r) : resolve(r)));
      this.socket.write(encodeRequest(args));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Applies the shell's aliases (put/get/delete) to a command's name. */
export function applyAliases(args: Buffer[]): Buffer[] {
  const alias = ALIASES[(args[0] as Buffer).toString().toLowerCase()];
  return alias === undefined ? args : [Buffer.from(alias), ...args.slice(1)];
}

/** Commands whose replies redis-cli prints raw even on a terminal. */
function printsRaw(args: readonly Buffer[]): boolean {
  const name = (args[0] as Buffer).toString().toLowerCase();
  const sub = args[1]?.toString().toLowerCase();
  return name === "info" || (name === "client" && (sub === "list" || sub === "info"));
}

export function formatReply(reply: RespValue, args: readonly Buffer[], raw: boolean): string {
  if (raw || printsRaw(args)) return `${formatRaw(reply)}\n`;
  return formatTty(reply);
}

function field(map: readonly RespValue[], name: string): RespValue | undefined {
  for (let i = 0; i + 1 < map.length; i += 2) {
    const k = map[i] as RespValue;
    if ((k.t === "bulk" || k.t === "simple") && k.v.toString() === name) return map[i + 1];
  }
  return undefined;
}

const text = (v: RespValue | undefined): string =>
  v !== undefined && (v.t === "bulk" || v.t === "simple") ? v.v.toString() : "";

/** Renders COMMAND DOCS arguments as redis-cli's help does: `key value [NX|XX]`. */
export function renderArguments(args: readonly RespValue[]): string {
  return args.map((a) => renderArgument(a.t === "array" || a.t === "map" ? a.v : [])).join(" ");
}

function renderArgument(m: readonly RespValue[]): string {
  const type = text(field(m, "type"));
  const token = text(field(m, "token"));
  const flagsValue = field(m, "flags");
  const flags =
    flagsValue !== undefined && "v" in flagsValue && Array.isArray(flagsValue.v)
      ? flagsValue.v.map(text)
      : [];
  const nestedValue = field(m, "arguments");
  const nested =
    nestedValue !== undefined && "v" in nestedValue && Array.isArray(nestedValue.v)
      ? (nestedValue.v as RespValue[])
      : [];
  let s: string;
  if (type === "pure-token") s = token;
  else if (type === "oneof")
    s = nested.map((n) => renderArgument(n.t === "array" || n.t === "map" ? n.v : [])).join("|");
  else if (type === "block") s = renderArguments(nested);
  else s = text(field(m, "name"));
  if (token !== "" && type !== "pure-token") s = `${token} ${s}`;
  if (flags.includes("multiple")) s = `${s} [${s} ...]`;
  return flags.includes("optional") ? `[${s}]` : type === "oneof" ? `<${s}>` : s;
}

/** Reads the node's COMMAND DOCS into help entries, by lowercase name. */
export async function loadHelp(conn: ShellConnection): Promise<Map<string, CommandHelp>> {
  const out = new Map<string, CommandHelp>();
  const docs = await conn.call(["COMMAND", "DOCS"]);
  if (docs.t !== "array" && docs.t !== "map") return out;
  const add = (name: string, m: readonly RespValue[]) => {
    const args = field(m, "arguments");
    out.set(name, {
      name,
      summary: text(field(m, "summary")),
      since: text(field(m, "since")),
      group: text(field(m, "group")),
      usage:
        args !== undefined && "v" in args && Array.isArray(args.v)
          ? renderArguments(args.v as RespValue[])
          : "",
    });
    const subs = field(m, "subcommands");
    if (subs !== undefined && "v" in subs && Array.isArray(subs.v)) {
      for (let i = 0; i + 1 < subs.v.length; i += 2) {
        const sub = subs.v[i + 1] as RespValue;
        if (sub.t === "array" || sub.t === "map") add(text(subs.v[i] as RespValue), sub.v);
      }
    }
  };
  for (let i = 0; i + 1 < docs.v.length; i += 2) {
    const m = docs.v[i + 1] as RespValue;
    if (m.t === "array" || m.t === "map") add(text(docs.v[i] as RespValue), m.v);
  }
  return out;
}

export function helpText(help: ReadonlyMap<string, CommandHelp>, topic: readonly string[]): string {
  if (topic.length === 0) {
    const groups = [...new Set([...help.values()].map((h) => h.group))].sort();
    return [
      "tessera cli: type commands as to redis-cli; replies print as redis-cli prints them.",
      'Aliases: "put <key> <value>" (SET), "get <key>", "delete <key> [...]" (DEL).',
      'Type "help <command>" for a command, "help @<group>" for a group, "quit" to leave.',
      `Groups: ${groups.map((g) => `@${g}`).join(" ")}`,
      "",
    ].join("\n");
  }
  const wanted = topic.join(" ").toLowerCase();
  const fullName = wanted.replace(" ", "|");
  const entries = wanted.startsWith("@")
    ? [...help.values()].filter((h) => h.group === wanted.slice(1) && !h.name.includes("|"))
    : [help.get(ALIASES[wanted]?.toLowerCase() ?? fullName)].filter(
        (h): h is CommandHelp => h !== undefined,
      );
  if (entries.length === 0) return `No help for '${topic.join(" ")}'. Type "help" for groups.\n`;
  return entries
    .map(
      (h) =>
        `\n  ${h.name.replace("|", " ").toUpperCase()} ${h.usage}\n  summary: ${h.summary}\n  since: ${h.since}\n  group: ${h.group}\n`,
    )
    .join("");
}

/** Tab completion of the command name (the first word), in uppercase as redis-cli does. */
export function completeCommand(names: readonly string[], line: string): [string[], string] {
  if (/\s/.test(line.trimStart())) return [[], line];
  const prefix = line.trimStart().toUpperCase();
  return [names.filter((n) => n.startsWith(prefix)), line];
}

function saveHistory(path: string, line: string): void {
  try {
    appendFileSync(path, `${line}\n`);
  } catch {
    // A history file that cannot be written is not worth stopping the shell for.
  }
}

/** Node's connect errors in redis-cli's words. */
function connectError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ECONNREFUSED") return "Connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "Name or service not known";
  return (e as Error).message;
}

async function openSession(o: ShellOptions, io: ShellIo): Promise<ShellConnection> {
  const conn = await ShellConnection.open(o.host, o.port);
  if (o.password !== undefined) {
    const r = await conn.call(["AUTH", o.password]);
    if (r.t === "error") io.stderr.write(`AUTH failed: ${r.v}\n`);
  }
  if (o.db !== 0) {
    const r = await conn.call(["SELECT", String(o.db)]);
    if (r.t === "error") io.stderr.write(`(error) ${r.v}\n`);
  }
  return conn;
}

function loadHistory(path: string): string[] {
  try {
    return readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => l.length > 0)
      .slice(-HISTORY_LINES_MAX)
      .reverse();
  } catch {
    return [];
  }
}

/**
 * Reads commands line by line: with prompts and history on a terminal, or
 * silently from a pipe (`cat cmds.txt | tessera cli`), as redis-cli does.
 */
async function interactive(o: ShellOptions, conn: ShellConnection, io: ShellIo): Promise<number> {
  const terminal = io.stdin.isTTY === true;
  const historyPath = process.env.TESSERA_HISTORY_FILE ?? join(homedir(), ".tessera_history");
  const raw = o.raw ?? (!terminal && io.stdout.isTTY !== true);
  let help: Map<string, CommandHelp> | undefined = terminal ? await loadHelp(conn) : undefined;
  const completions = [...(help?.keys() ?? []), ...Object.keys(ALIASES)]
    .filter((n) => !n.includes("|"))
    .map((n) => n.toUpperCase())
    .sort();
  const rl = createInterface({
    input: io.stdin,
    output: terminal ? io.stdout : undefined,
    history: terminal ? loadHistory(historyPath) : [],
    historySize: HISTORY_LINES_MAX,
    terminal,
    completer: (line: string): [string[], string] => completeCommand(completions, line),
  });
  let db = o.db;
  const prompt = () => `${o.host}:${o.port}${db !== 0 ? `[${db}]` : ""}> `;
  const showPrompt = () => {
    if (!terminal) return;
    rl.setPrompt(prompt());
    rl.prompt();
  };
  showPrompt();
  for await (const line of rl) {
    const trimmed = line.trim();
    if (trimmed.length > 0) {
      if (terminal) saveHistory(historyPath, trimmed);
      const args = splitLine(trimmed);
      if (args === undefined) io.stdout.write("Invalid argument(s)\n");
      else {
        const name = (args[0] as Buffer).toString().toLowerCase();
        if (name === "quit" || name === "exit") break;
        if (name === "help" || name === "?") {
          help ??= await loadHelp(conn);
          io.stdout.write(helpText(help, args.slice(1).map(String)));
        } else {
          const sent = applyAliases(args);
          try {
            const reply = await conn.call(sent);
            if (name === "select" && reply.t === "simple") db = Number(args[1]);
            io.stdout.write(formatReply(reply, sent, raw));
          } catch (e) {
            io.stdout.write(`${(e as Error).message}\n`);
            break;
          }
        }
      }
    }
    showPrompt();
  }
  rl.close();
  return 0;
}

/** The `tessera cli` entry point; resolves with the process exit code. */
export async function runShell(argv: readonly string[], io: ShellIo = PROCESS_IO): Promise<number> {
  const o = parseShellArgs(argv);
  if (typeof o === "string") {
    io.stderr.write(`${o}\n${USAGE}`);
    return 1;
  }
  if (o.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  let conn: ShellConnection;
  try {
    conn = await openSession(o, io);
  } catch (e) {
    io.stderr.write(`Could not connect to Tessera at ${o.host}:${o.port}: ${connectError(e)}\n`);
    return 1;
  }
  try {
    if (o.command.length === 0) return await interactive(o, conn, io);
    const args = applyAliases(o.command.map((a) => Buffer.from(a)));
    const reply = await conn.call(args);
    io.stdout.write(formatReply(reply, args, o.raw ?? io.stdout.isTTY !== true));
    return 0;
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\n`);
    return 1;
  } finally {
    conn.close();
  }
}
