/**
 * The configuration parameters the RESP server answers itself in CONFIG GET and
 * CONFIG SET (the rest belong to the node, see `RespConfigStore`). Live ones
 * change the running server (requirepass, maxclients, timeout and the two
 * protocol limits); read-only ones report how the node runs. Values and errors
 * follow Redis's config.c, memory units included (`1gb`, `512mb`, `64k`).
 */
import { globMatch, TesseraError } from "../../lib/index.js";

/** The mutable settings behind the live parameters. */
export interface LiveSettings {
  requirePass: string;
  clientsMax: number;
  idleTimeoutSec: number;
  respBulkBytesMax: number;
  queryBufferBytesMax: number;
}

/** Facts behind the read-only parameters. */
export interface FixedSettings {
  readonly port: number;
  readonly bind: string;
  readonly databases: number;
  readonly dir: string;
}

const INT64_MAX_TEXT = "9223372036854775807";
const PROTO_MAX_BULK_LEN_MIN = 1024 * 1024;
const QUERY_BUFFER_LIMIT_MIN = 1024 * 1024;

export function configFailed(name: string, why: string): TesseraError {
  return new TesseraError(
    "INVALID_ARGUMENT",
    `CONFIG SET failed (possibly related to argument '${name}') - ${why}`,
  );
}

/** Redis's memtoull: digits with an optional b/k/kb/m/mb/g/gb unit. */
export function parseMemory(text: string): number | undefined {
  const m = /^([0-9]+)(b|k|kb|m|mb|g|gb)?$/i.exec(text);
  if (m === null) return undefined;
  const units: Record<string, number> = {
    b: 1,
    k: 1e3,
    kb: 1024,
    m: 1e6,
    mb: 1024 ** 2,
    g: 1e9,
    gb: 1024 ** 3,
  };
  const v = Number(m[1]) * (units[(m[2] ?? "b").toLowerCase()] as number);
  return Number.isSafeInteger(v) ? v : undefined;
}

function parseInteger(
  name: string,
  text: string,
  min: number,
  max: number,
  maxText = String(max),
): number {
  if (!/^-?[0-9]+$/.test(text))
    throw configFailed(name, "argument couldn't be parsed into an integer");
  const v = Number(text);
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw configFailed(name, `argument must be between ${min} and ${maxText} inclusive`);
  }
  return v;
}

function parseMemoryParam(name: string, text: string, min: number): number {
  const v = parseMemory(text);
  if (v === undefined) throw configFailed(name, "argument must be a memory value");
  if (v < min)
    throw configFailed(name, `argument must be between ${min} and ${INT64_MAX_TEXT} inclusive`);
  return v;
}

interface Param {
  get(live: LiveSettings, fixed: FixedSettings): string;
  /** Absent for read-only parameters. */
  set?(live: LiveSettings, value: string): void;
}

const PARAMS: Readonly<Record<string, Param>> = {
  requirepass: {
    get: (l) => l.requirePass,
    set: (l, v) => {
      l.requirePass = v;
    },
  },
  maxclients: {
    get: (l) => String(l.clientsMax),
    set: (l, v) => {
      l.clientsMax = parseInteger("maxclients", v, 1, Number.MAX_SAFE_INTEGER);
    },
  },
  timeout: {
    get: (l) => String(l.idleTimeoutSec),
    set: (l, v) => {
      l.idleTimeoutSec = parseInteger("timeout", v, 0, 2 ** 31 - 1);
    },
  },
  "proto-max-bulk-len": {
    get: (l) => String(l.respBulkBytesMax),
    set: (l, v) => {
      l.respBulkBytesMax = parseMemoryParam("proto-max-bulk-len", v, PROTO_MAX_BULK_LEN_MIN);
    },
  },
  "client-query-buffer-limit": {
    get: (l) => String(l.queryBufferBytesMax),
    set: (l, v) => {
      l.queryBufferBytesMax = parseMemoryParam(
        "client-query-buffer-limit",
        v,
        QUERY_BUFFER_LIMIT_MIN,
      );
    },
  },
  port: { get: (_, f) => String(f.port) },
  bind: { get: (_, f) => f.bind },
  databases: { get: (_, f) => String(f.databases) },
  dir: { get: (_, f) => f.dir },
  appendonly: { get: () => "yes" },
  appendfsync: { get: () => "always" },
  save: { get: () => "" },
};

export function isServerParam(name: string): boolean {
  return Object.hasOwn(PARAMS, name);
}

/** The server's parameters matching a glob (case-insensitive, as Redis). */
export function getServerParams(
  pattern: string,
  live: LiveSettings,
  fixed: FixedSettings,
): [string, string][] {
  const p = Buffer.from(pattern.toLowerCase());
  return Object.entries(PARAMS)
    .filter(([name]) => globMatch(p, Buffer.from(name)))
    .map(([name, param]) => [name, param.get(live, fixed)]);
}

/** Sets one of the server's parameters; throws Redis's CONFIG SET errors. */
export function setServerParam(name: string, value: string, live: LiveSettings): void {
  const param = PARAMS[name];
  if (param === undefined)
    throw new TesseraError(
      "INVALID_ARGUMENT",
      `Unknown option or number of arguments for CONFIG SET - '${name}'`,
    );
  if (param.set === undefined) throw configFailed(name, "can't set immutable config");
  param.set(live, value);
}
