/**
 * What the server knows of a command: its metadata (the command table, which
 * COMMAND, arity checks, auth checks and `tessera cli` help read) and how it is
 * scheduled within a connection's pipeline.
 *
 * Scheduling kinds keep a pipeline's replies equal to running its commands one
 * by one, while letting independent work overlap:
 * - `write`: proposed to the log at once; consecutive writes are in flight
 *   together and the log keeps them in order;
 * - `read`: served at once; consecutive reads run together, but a read waits for
 *   the writes before it (read-your-writes) and a write for the reads before it;
 * - `local`: touches only the connection or the server (SELECT, CLIENT, CONFIG,
 *   WAIT); it runs after everything before it and before everything after it.
 */
import type { KvService, ReadConsistency } from "../../range/types.js";
import type { RedirectMode, RespClusterAdmin, RespClusterTopology } from "./options.js";
import type { Reply } from "./reply.js";

export type CommandKind = "read" | "write" | "local";

export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "admin"
  | "pubsub"
  | "noscript"
  | "blocking"
  | "loading"
  | "stale"
  | "skip_monitor"
  | "skip_slowlog"
  | "fast"
  | "no_auth"
  | "may_replicate"
  | "no_mandatory_keys"
  | "no_multi"
  | "allow_busy"
  | "no_async_loading";

export type CommandGroup = "string" | "generic" | "connection" | "server" | "keyspace" | "cluster";

export interface CommandInfo {
  /** Lowercase; a subcommand is `container|sub`, as Redis names them. */
  readonly name: string;
  /** Redis convention: N means exactly N arguments (name included); -N at least N. */
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  /** First key argument, last (-1 = the last argument), step; 0,0,0 = no keys. */
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  /** ACL categories without the `@`. */
  readonly acl: readonly string[];
  readonly group: CommandGroup;
  readonly since: string;
  readonly summary: string;
  /** Arguments after the name, in Redis's documentation notation. */
  readonly syntax: string;
  readonly kind: CommandKind;
  readonly subcommands?: readonly CommandInfo[];
}

/** A handler's view of a client connection. */
export interface ClientState {
  readonly id: number;
  readonly addr: string;
  readonly laddr: string;
  readonly createdAtMs: number;
  name: string;
  libName: string;
  libVer: string;
  db: number;
  proto: 2 | 3;
  authenticated: boolean;
  consistency: ReadConsistency;
  /** The log index of this connection's latest acknowledged write (WAIT waits on it). */
  lastWriteIndex: number;
  /** The range `lastWriteIndex` belongs to (undefined: the default range). */
  lastWriteRange: number | undefined;
  lastInteractionMs: number;
  lastCommand: string;
  noEvict: boolean;
  noTouch: boolean;
  /** READONLY (until READWRITE): reads are served by the local replica (consistency "any"). */
  readOnly: boolean;
  /** ASKING: set for the next command only (Redis CLIENT_ASKING). */
  asking: boolean;
  /**
   * The client speaks Redis Cluster: it asked for the topology (CLUSTER
   * SLOTS|SHARDS|NODES|MYID) or sent READONLY, READWRITE or ASKING, so it can
   * follow MOVED (see `RedirectMode`).
   */
  clusterAware: boolean;
  /** Changes `authenticated`, telling the connection's parser too. */
  setAuthenticated(value: boolean): void;
}

/** What a handler may ask of the server around it. */
export interface ServerView {
  readonly service: KvService;
  readonly version: string;
  readonly runId: string;
  readonly dataDir: string;
  readonly databases: number;
  readonly startedAtMs: number;
  readonly host: string;
  readonly port: number;
  readonly defaultConsistency: ReadConsistency;
  /** The cluster operations, on a clustered node. */
  readonly admin: RespClusterAdmin | undefined;
  /** The Redis Cluster view; undefined on a standalone server. */
  readonly topology: RespClusterTopology | undefined;
  readonly redirect: RedirectMode;
  nowMs(): number;
  monotonicMs(): number;
  /** The live password (CONFIG SET requirepass changes it); "" = none. */
  requirePass(): string;
  clients(): readonly ClientState[];
  /** One line of CLIENT LIST for a client. */
  describeClient(client: ClientState): string;
  /** Closes a client after its pending replies; false if no such client. */
  killClient(id: number): boolean;
  configGet(pattern: string): readonly (readonly [string, string])[];
  /** Throws a TesseraError when the name or value is refused. */
  configSet(name: string, value: string): void;
  resetStats(): void;
  statsInfo(): Readonly<Record<string, number>>;
  commands(): readonly CommandInfo[];
  command(name: string): CommandInfo | undefined;
}

export interface CommandContext {
  readonly client: ClientState;
  readonly server: ServerView;
  /** The table entry of the command (the subcommand's, for a container). */
  readonly command: CommandInfo;
  /** The request, name included: `args[0]` is the command name as sent. */
  readonly args: readonly Buffer[];
}

export type Handler = (ctx: CommandContext) => Reply | Promise<Reply>;
