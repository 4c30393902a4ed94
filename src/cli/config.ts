/**
 * `tessera start` configuration: command-line flags, `TESSERA_*` environment
 * variables and an optional YAML file (`--config file.yaml`), in that order of
 * precedence over the built-in defaults.
 *
 * One table (`OPTIONS`) names every option once: its flag, its environment
 * variable (TESSERA_ + the flag in upper snake case), its YAML key (the flag
 * name), its kind and its help line; the help text of `tessera start --help`
 * is generated from it, so every option is documented. Bad configuration — an
 * unknown flag or YAML key, a bad port, a value of the wrong type — is a
 * `ConfigError` with a one-line message; the command prints it and exits 2.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import {
  DEFAULT_NODE_LIMITS,
  type JoinAddress,
  LOG_LEVELS,
  type LogLevel,
  type NodeConfig,
  type NodeLimits,
} from "../server/index.js";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Kind = "port" | "string" | "int" | "bool" | "join" | "locality" | "log-level" | "path";

interface OptionSpec {
  /** The flag without its dashes; also the YAML key. */
  readonly flag: string;
  readonly kind: Kind;
  readonly help: string;
  /** The default as shown in the help. */
  readonly shown: string;
}

const LIMIT_HELP: Record<keyof NodeLimits, string> = {
  proposalsPendingMax: "most writes waiting to be applied before new ones fail",
  proposalBytesMax: "largest encoded write, in bytes",
  proposalTimeoutMs: "ms a write may wait to be applied before it fails with a timeout",
  readTimeoutMs: "ms a read may wait for consensus before it fails with a timeout",
  respBulkBytesMax: "largest bulk string a client may send, in bytes",
  clientsMax: "most connected clients",
  pipelineDepthMax: "most commands of one connection in flight at once",
  queryBufferBytesMax: "most unparsed bytes buffered for one client",
  expireBatchKeysMax: "most expired keys one background deletion removes",
};

const LIMIT_KEYS = Object.keys(DEFAULT_NODE_LIMITS) as (keyof NodeLimits)[];

export function kebab(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export const OPTIONS: readonly OptionSpec[] = [
  {
    flag: "port",
    kind: "port",
    help: "RESP port for Redis clients (0 = any free port)",
    shown: "7379",
  },
  {
    flag: "http-port",
    kind: "port",
    help: "HTTP port: /metrics, /healthz, /readyz",
    shown: "7380",
  },
  { flag: "bus-port", kind: "port", help: "node-to-node bus port", shown: "RESP port + 10000" },
  { flag: "bind", kind: "string", help: "address to listen on", shown: "127.0.0.1" },
  {
    flag: "data-dir",
    kind: "path",
    help: "directory holding this node's data",
    shown: "./tessera-data",
  },
  {
    flag: "join",
    kind: "join",
    help: "members to join, host:busport,… (empty = new cluster)",
    shown: "",
  },
  {
    flag: "locality",
    kind: "locality",
    help: "locality labels, k=v,… (e.g. region=eu,zone=a)",
    shown: "",
  },
  {
    flag: "leader-preference",
    kind: "locality",
    help: "prefer range leaders on nodes with these labels, k=v,… (same on every node)",
    shown: "",
  },
  { flag: "requirepass", kind: "string", help: "password clients must AUTH with", shown: "" },
  {
    flag: "replication-factor",
    kind: "int",
    help: "replicas each range gets as nodes join",
    shown: "3",
  },
  {
    flag: "dead-after-ms",
    kind: "int",
    help: "a node silent this long is dead; its replicas are rebuilt elsewhere",
    shown: "60000",
  },
  {
    flag: "split-keys-max",
    kind: "int",
    help: "a range holding more keys splits",
    shown: "500000",
  },
  {
    flag: "split-bytes-max",
    kind: "int",
    help: "a range holding more bytes splits",
    shown: String(64 * 1024 * 1024),
  },
  {
    flag: "split-ops-per-sec-max",
    kind: "int",
    help: "a range serving more operations per second splits",
    shown: "2000",
  },
  {
    flag: "redirect",
    kind: "string",
    help: "MOVED for cluster clients: auto|always|never",
    shown: "auto",
  },
  {
    flag: "enable-fault-injection",
    kind: "bool",
    help: "accept DEBUG FAULT (bus delay/drop/partition); tests and drills only",
    shown: "false",
  },
  { flag: "log-level", kind: "log-level", help: LOG_LEVELS.join("|"), shown: "info" },
  ...LIMIT_KEYS.map(
    (k): OptionSpec => ({
      flag: kebab(k),
      kind: "int",
      help: LIMIT_HELP[k],
      shown: String(DEFAULT_NODE_LIMITS[k]),
    }),
  ),
];

const CONFIG_FLAG = "config";
const BY_FLAG = new Map(OPTIONS.map((o) => [o.flag, o]));

export function envName(flag: string): string {
  return `TESSERA_${flag.toUpperCase().replace(/-/g, "_")}`;
}

/** The help of `tessera start`, listing every option. */
export function startHelp(): string {
  const rows = [
    ...OPTIONS.map((o) => [
      `--${o.flag}`,
      o.help + (o.shown ? ` (default ${o.shown})` : ""),
      envName(o.flag),
    ]),
    ["--config", "YAML file whose keys are these flag names", envName(CONFIG_FLAG)],
  ];
  const w0 = Math.max(...rows.map((r) => r[0]!.length));
  const lines = rows.map(([f, h, e]) => `  ${f!.padEnd(w0)}  ${h}\n  ${"".padEnd(w0)}  env ${e}`);
  return [
    "Usage: tessera start [options]",
    "",
    "Runs one Tessera node. Precedence: flags, then TESSERA_* environment variables,",
    "then the YAML file, then defaults.",
    "",
    "Options:",
    ...lines,
  ].join("\n");
}

type Raw = Map<string, unknown>;

/** Flags of `argv` (the words after `start`), as `--name value` or `--name=value`. */
function parseFlags(argv: readonly string[]): Raw {
  const out: Raw = new Map();
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith("--")) throw new ConfigError(`unexpected argument '${word}'`);
    const eq = word.indexOf("=");
    const name = word.slice(2, eq < 0 ? undefined : eq);
    if (name !== CONFIG_FLAG && !BY_FLAG.has(name))
      throw new ConfigError(`unknown option --${name}`);
    let value: string | undefined;
    if (eq >= 0) value = word.slice(eq + 1);
    else if (BY_FLAG.get(name)?.kind === "bool") {
      const next = argv[i + 1];
      if (next === "true" || next === "false") {
        value = next;
        i++;
      } else value = "true";
    } else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith("--"))
        throw new ConfigError(`option --${name} needs a value`);
      i++;
    }
    out.set(name, value);
  }
  return out;
}

function parseEnv(env: NodeJS.ProcessEnv): Raw {
  const out: Raw = new Map();
  for (const name of [...BY_FLAG.keys(), CONFIG_FLAG]) {
    const value = env[envName(name)];
    if (value !== undefined && value !== "") out.set(name, value);
  }
  return out;
}

function parseYamlFile(path: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigError(
      `config file ${path} is not valid YAML: ${(e as Error).message.split("\n")[0]}`,
    );
  }
  if (doc === null || doc === undefined) return new Map();
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new ConfigError(`config file ${path} must be a mapping`);
  const out: Raw = new Map();
  for (const [key, value] of Object.entries(doc)) {
    if (!BY_FLAG.has(key)) throw new ConfigError(`unknown key '${key}' in config file ${path}`);
    out.set(key, value);
  }
  return out;
}

function where(source: string, flag: string): string {
  return source === "flag"
    ? `--${flag}`
    : source === "env"
      ? envName(flag)
      : `'${flag}' in ${source}`;
}

function asInt(value: unknown, at: string): number {
  const n =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^\d+$/.test(value.trim())
        ? Number(value)
        : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ConfigError(`${at} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

function asPort(value: unknown, at: string): number {
  const n = asInt(value, at);
  if (n > 65535) throw new ConfigError(`${at} must be a port number (0-65535), got ${n}`);
  return n;
}

function asString(value: unknown, at: string): string {
  if (typeof value !== "string")
    throw new ConfigError(`${at} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function asBool(value: unknown, at: string): boolean {
  if (typeof value === "boolean") return value;
  const text = typeof value === "string" ? value.trim().toLowerCase() : "";
  if (["true", "1", "yes", "on"].includes(text)) return true;
  if (["false", "0", "no", "off"].includes(text)) return false;
  throw new ConfigError(`${at} must be true or false, got ${JSON.stringify(value)}`);
}

function asJoin(value: unknown, at: string): JoinAddress[] {
  const items = Array.isArray(value) ? value : asString(value, at).split(",");
  return items
    .map((item) => asString(item, at).trim())
    .filter((item) => item !== "")
    .map((item) => {
      const m = /^(.+):(\d+)$/.exec(item);
      if (!m) throw new ConfigError(`${at}: '${item}' is not host:busport`);
      return {
        host: m[1]!.replace(/^\[(.*)\]$/, "$1"),
        port: asPort(m[2], `${at} port of '${item}'`),
      };
    });
}

function asLocality(value: unknown, at: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) out[k] = asString(v, `${at}.${k}`);
    return out;
  }
  for (const pair of asString(value, at).split(",")) {
    if (pair.trim() === "") continue;
    const m = /^([A-Za-z0-9_.-]+)=([^=]*)$/.exec(pair.trim());
    if (!m) throw new ConfigError(`${at}: '${pair}' is not key=value`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** Builds the node configuration from `argv` (after `start`), `env`, and the YAML file they name. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): NodeConfig {
  const flags = parseFlags(argv);
  const fromEnv = parseEnv(env);
  const file = (flags.get(CONFIG_FLAG) ?? fromEnv.get(CONFIG_FLAG)) as string | undefined;
  const yaml = file === undefined ? new Map() : parseYamlFile(file);
  const layers: [string, Raw][] = [
    ["flag", flags],
    ["env", fromEnv],
    [file ?? "", yaml],
  ];
  const pick = (flag: string): [unknown, string] | undefined => {
    for (const [source, raw] of layers)
      if (raw.has(flag)) return [raw.get(flag), where(source, flag)];
    return undefined;
  };
  const num = (flag: string, fallback: number, parse = asInt): number => {
    const got = pick(flag);
    return got ? parse(got[0], got[1]) : fallback;
  };
  const str = (flag: string): string | undefined => {
    const got = pick(flag);
    return got ? asString(typeof got[0] === "number" ? String(got[0]) : got[0], got[1]) : undefined;
  };

  const port = num("port", 7379, asPort);
  let busPort: number;
  const busGot = pick("bus-port");
  if (busGot) busPort = asPort(busGot[0], busGot[1]);
  else if (port === 0) busPort = 0;
  else if (port + 10000 > 65535)
    throw new ConfigError(
      `--port ${port} leaves no room for the bus port (port + 10000); set --bus-port`,
    );
  else busPort = port + 10000;

  const logLevel = str("log-level") ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`log level must be one of ${LOG_LEVELS.join(", ")}, got '${logLevel}'`);
  }
  const limits = Object.fromEntries(
    LIMIT_KEYS.map((k) => {
      const n = num(kebab(k), DEFAULT_NODE_LIMITS[k]);
      if (n === 0) throw new ConfigError(`${kebab(k)} must be positive`);
      return [k, n];
    }),
  ) as unknown as NodeLimits;
  const replicationFactor = num("replication-factor", 3);
  if (replicationFactor === 0) throw new ConfigError("replication-factor must be positive");
  const deadAfterMs = num("dead-after-ms", 60_000);
  if (deadAfterMs < 2000) throw new ConfigError("dead-after-ms must be at least 2000");
  const splitKeysMax = num("split-keys-max", 500_000);
  const splitBytesMax = num("split-bytes-max", 64 * 1024 * 1024);
  const splitOpsPerSecMax = num("split-ops-per-sec-max", 2_000);
  for (const [name, v] of [
    ["split-keys-max", splitKeysMax],
    ["split-bytes-max", splitBytesMax],
    ["split-ops-per-sec-max", splitOpsPerSecMax],
  ] as const) {
    if (v < 4) throw new ConfigError(`${name} must be at least 4`);
  }
  const redirect = str("redirect") ?? "auto";
  if (redirect !== "auto" && redirect !== "always" && redirect !== "never")
    throw new ConfigError(`redirect must be auto, always or never, got '${redirect}'`);
  const faultGot = pick("enable-fault-injection");
  const faultInjection = faultGot ? asBool(faultGot[0], faultGot[1]) : false;
  const joinGot = pick("join");
  const localityGot = pick("locality");
  const preferenceGot = pick("leader-preference");
  const leaderPreference = preferenceGot
    ? asLocality(preferenceGot[0], preferenceGot[1])
    : undefined;
  const requirePass = str("requirepass");
  const bind = str("bind") ?? "127.0.0.1";
  if (bind.trim() === "") throw new ConfigError("--bind must not be empty");
  const dataDir = str("data-dir") ?? "./tessera-data";
  if (dataDir.trim() === "") throw new ConfigError("--data-dir must not be empty");
  return {
    bind,
    port,
    httpPort: num("http-port", 7380, asPort),
    busPort,
    dataDir,
    join: joinGot ? asJoin(joinGot[0], joinGot[1]) : [],
    locality: localityGot ? asLocality(localityGot[0], localityGot[1]) : {},
    ...(leaderPreference !== undefined && Object.keys(leaderPreference).length > 0
      ? { leaderPreference }
      : {}),
    ...(requirePass !== undefined && requirePass !== "" ? { requirePass } : {}),
    logLevel: logLevel as LogLevel,
    limits,
    replicationFactor,
    faultInjection,
    deadAfterMs,
    splitKeysMax,
    splitBytesMax,
    splitOpsPerSecMax,
    redirect,
  };
}
