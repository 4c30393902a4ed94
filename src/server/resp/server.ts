/**
 * `RespServer`: the TCP listener that serves the Redis protocol. It accepts
 * connections up to `clientsMax` (past it a client gets Redis's
 * "max number of clients reached" and is closed), owns the client registry,
 * the live settings that CONFIG SET may change and the counters INFO reports,
 * and is the `ServerView` every command handler sees.
 *
 * Sockets use TCP_NODELAY (replies leave at once) and keepalive (dead peers
 * are noticed); `timeout` closes clients idle that long. `stop()` stops
 * accepting, lets each client receive the replies it is owed, then closes it,
 * and destroys whatever is left after `STOP_GRACE_MS`.
 */
import { createServer, type Server, type Socket } from "node:net";
import { assert, type Clock, isTesseraError, TesseraError } from "../../lib/index.js";
import type { KvService, ReadConsistency } from "../../range/types.js";
import type { ClientState, CommandInfo, ServerView } from "./command-spec.js";
import { COMMAND_TABLE, lookupCommand } from "./command-table.js";
import { HANDLERS } from "./commands/index.js";
import {
  configFailed,
  type FixedSettings,
  getServerParams,
  isServerParam,
  type LiveSettings,
  setServerParam,
} from "./config.js";
import { Connection, type ConnectionHost } from "./connection.js";
import { prepareRequest } from "./dispatch.js";
import {
  checkRespLimits,
  REDIRECT_MODES,
  type RedirectMode,
  type RespClusterAdmin,
  type RespClusterTopology,
  type RespLimits,
  type RespServerOptions,
  type RespServerStats,
} from "./options.js";
import type { ParsedRequest } from "./parser.js";
import type { PipelineEntry } from "./pipeline.js";
import { RateSampler, SAMPLE_INTERVAL_MS } from "./rate-sampler.js";
import type { Reply } from "./reply.js";

/** How long `stop()` waits for clients to take their last replies before cutting them off. */
export const STOP_GRACE_MS = 5_000;
/** TCP keepalive probe delay, as Redis's default tcp-keepalive (300 s). */
const KEEPALIVE_DELAY_MS = 300_000;
const DEFAULT_DATABASES = 16;

const SYSTEM_CLOCK: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
};

type MutableLimits = { -readonly [K in keyof RespLimits]: RespLimits[K] };

interface Counters {
  connectionsTotal: number;
  rejectedConnectionsTotal: number;
  commandsTotal: number;
  errorRepliesTotal: number;
  protocolErrorsTotal: number;
  netInputBytesTotal: number;
  netOutputBytesTotal: number;
}

const zeroCounters = (): Counters => ({
  connectionsTotal: 0,
  rejectedConnectionsTotal: 0,
  commandsTotal: 0,
  errorRepliesTotal: 0,
  protocolErrorsTotal: 0,
  netInputBytesTotal: 0,
  netOutputBytesTotal: 0,
});

/** CLIENT LIST's flags, in Redis's order (`catClientInfoString`): N when none. */
function clientFlags(client: ClientState): string {
  const flags = `${client.readOnly ? "r" : ""}${client.noEvict ? "e" : ""}${client.noTouch ? "T" : ""}`;
  return flags === "" ? "N" : flags;
}

export class RespServer implements ServerView, ConnectionHost {
  readonly limits: MutableLimits;
  readonly version: string;
  readonly runId: string;
  readonly dataDir: string;
  readonly databases: number;
  readonly host: string;
  readonly defaultConsistency: ReadConsistency;
  readonly admin: RespClusterAdmin | undefined;
  readonly topology: RespClusterTopology | undefined;
  readonly redirect: RedirectMode;
  startedAtMs: number;
  private boundPort = 0;
  private readonly clock: Clock;
  private readonly live: LiveSettings;
  private readonly registry = new Map<number, Connection>();
  private nextClientId = 1;
  private counters = zeroCounters();
  private listener: Server | undefined;
  private stopping = false;
  private readonly handlers = HANDLERS;
  private readonly opsRate = new RateSampler();
  private readonly inputRate = new RateSampler();
  private readonly outputRate = new RateSampler();
  private sampler: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: RespServerOptions,
    readonly service: KvService,
  ) {
    checkRespLimits(options.limits);
    this.limits = { ...options.limits };
    this.version = options.version;
    this.runId = options.runId;
    this.dataDir = options.dataDir;
    this.databases = options.databases ?? DEFAULT_DATABASES;
    this.host = options.host;
    this.defaultConsistency = options.defaultConsistency ?? "strong";
    this.admin = options.admin;
    this.topology = options.topology;
    this.redirect = options.redirect ?? "auto";
    assert(REDIRECT_MODES.includes(this.redirect), `bad redirect mode ${this.redirect}`);
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.startedAtMs = this.clock.nowMs();
    this.live = {
      requirePass: options.requirePass ?? "",
      clientsMax: options.limits.clientsMax,
      idleTimeoutSec: options.idleTimeoutSec ?? 0,
      respBulkBytesMax: options.limits.respBulkBytesMax,
      queryBufferBytesMax: options.limits.queryBufferBytesMax,
    };
  }

  get port(): number {
    return this.boundPort;
  }

  /** Listens on `host:port` (port 0: an ephemeral port) and reports the port bound. */
  start(): Promise<{ port: number }> {
    const listener = createServer({
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: KEEPALIVE_DELAY_MS,
    });
    listener.on("connection", (socket) => this.accept(socket));
    this.listener = listener;
    return new Promise((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(this.options.port, this.options.host, () => {
        listener.off("error", reject);
        listener.on("error", (err) => this.options.logger.error({ err }, "RESP listener error"));
        const address = listener.address();
        this.boundPort =
          typeof address === "object" && address !== null ? address.port : this.options.port;
        this.startedAtMs = this.clock.nowMs();
        this.sampler = setInterval(() => this.sampleRates(), SAMPLE_INTERVAL_MS);
        this.sampler.unref();
        this.options.logger.info(
          { host: this.options.host, port: this.boundPort },
          "RESP server listening",
        );
        resolve({ port: this.boundPort });
      });
    });
  }

  /** Stops accepting, lets clients take the replies they are owed, then closes them. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.sampler);
    const listener = this.listener;
    const closed =
      listener === undefined
        ? Promise.resolve()
        : new Promise<void>((resolve) => listener.close(() => resolve()));
    for (const c of this.registry.values()) c.closeGracefully();
    const timer = setTimeout(() => {
      for (const c of this.registry.values()) c.destroy();
    }, STOP_GRACE_MS);
    timer.unref();
    await closed;
    clearTimeout(timer);
    this.options.logger.info({ port: this.boundPort }, "RESP server stopped");
  }

  stats(): RespServerStats {
    return { connectedClients: this.registry.size, ...this.counters };
  }

  // ConnectionHost

  prepare(client: Connection, request: ParsedRequest): PipelineEntry {
    return prepareRequest(this, this.handlers, client, request, () => {
      this.counters.commandsTotal++;
    });
  }

  countReply(reply: Reply): void {
    if (reply.t === "error") this.counters.errorRepliesTotal++;
  }

  countBytes(inBytes: number, outBytes: number): void {
    this.counters.netInputBytesTotal += inBytes;
    this.counters.netOutputBytesTotal += outBytes;
  }

  countProtocolError(): void {
    this.counters.protocolErrorsTotal++;
  }

  onClosed(client: Connection): void {
    this.registry.delete(client.id);
  }

  warn(obj: object, msg: string): void {
    this.options.logger.warn(obj, msg);
  }

  // ServerView

  nowMs(): number {
    return this.clock.nowMs();
  }

  monotonicMs(): number {
    return this.clock.monotonicMs();
  }

  requirePass(): string {
    return this.live.requirePass;
  }

  clients(): readonly ClientState[] {
    return [...this.registry.values()];
  }

  killClient(id: number): boolean {
    const c = this.registry.get(id);
    if (c === undefined) return false;
    c.closeGracefully();
    return true;
  }

  describeClient(client: ClientState): string {
    const now = this.clock.nowMs();
    const c = this.registry.get(client.id);
    const qbuf = c?.queryBufferBytes ?? 0;
    const fields: [string, string | number][] = [
      ["id", client.id],
      ["addr", client.addr],
      ["laddr", client.laddr],
      ["fd", -1],
      ["name", client.name],
      ["age", Math.floor((now - client.createdAtMs) / 1000)],
      ["idle", Math.floor((now - client.lastInteractionMs) / 1000)],
      ["flags", clientFlags(client)],
      ["db", client.db],
      ["sub", 0],
      ["psub", 0],
      ["ssub", 0],
      ["multi", -1],
      ["qbuf", qbuf],
      ["qbuf-free", 0],
      ["argv-mem", 0],
      ["multi-mem", 0],
      ["rbs", 0],
      ["rbp", 0],
      ["obl", 0],
      ["oll", 0],
      ["omem", 0],
      ["tot-mem", qbuf],
      ["events", "r"],
      ["cmd", client.lastCommand],
      ["user", "default"],
      ["redir", -1],
      ["resp", client.proto],
      ["lib-name", client.libName],
      ["lib-ver", client.libVer],
      ["consistency", client.consistency],
    ];
    return fields.map(([k, v]) => `${k}=${v}`).join(" ");
  }

  configGet(pattern: string): readonly (readonly [string, string])[] {
    const fixed: FixedSettings = {
      port: this.boundPort,
      bind: this.host,
      databases: this.databases,
      dir: this.dataDir,
    };
    const out: (readonly [string, string])[] = getServerParams(pattern, this.live, fixed);
    const seen = new Set(out.map(([name]) => name));
    for (const entry of this.options.config.get(pattern)) {
      if (!seen.has(entry[0])) out.push(entry);
    }
    return out;
  }

  configSet(name: string, value: string): void {
    if (isServerParam(name)) {
      setServerParam(name, value, this.live);
      this.applyLiveSettings();
      return;
    }
    if (!this.options.config.get(name).some(([n]) => n === name)) {
      throw new TesseraError(
        "INVALID_ARGUMENT",
        `Unknown option or number of arguments for CONFIG SET - '${name}'`,
      );
    }
    try {
      this.options.config.set(name, value);
    } catch (e) {
      if (!isTesseraError(e)) throw e;
      if (e.message.startsWith("CONFIG SET failed")) throw e;
      throw configFailed(name, e.code === "READONLY" ? "can't set immutable config" : e.message);
    }
  }

  resetStats(): void {
    this.counters = zeroCounters();
  }

  statsInfo(): Readonly<Record<string, number>> {
    const c = this.counters;
    return {
      maxclients: this.live.clientsMax,
      total_connections_received: c.connectionsTotal,
      total_commands_processed: c.commandsTotal,
      instantaneous_ops_per_sec: Math.round(this.opsRate.perSecond()),
      instantaneous_input_kbps: Number((this.inputRate.perSecond() / 1024).toFixed(2)),
      instantaneous_output_kbps: Number((this.outputRate.perSecond() / 1024).toFixed(2)),
      total_net_input_bytes: c.netInputBytesTotal,
      total_net_output_bytes: c.netOutputBytesTotal,
      rejected_connections: c.rejectedConnectionsTotal,
      total_error_replies: c.errorRepliesTotal,
      tessera_protocol_errors: c.protocolErrorsTotal,
    };
  }

  commands(): readonly CommandInfo[] {
    return COMMAND_TABLE;
  }

  command(name: string): CommandInfo | undefined {
    return lookupCommand(name);
  }

  private sampleRates(): void {
    const now = this.clock.monotonicMs();
    this.opsRate.sample(this.counters.commandsTotal, now);
    this.inputRate.sample(this.counters.netInputBytesTotal, now);
    this.outputRate.sample(this.counters.netOutputBytesTotal, now);
  }

  private applyLiveSettings(): void {
    this.limits.clientsMax = this.live.clientsMax;
    this.limits.respBulkBytesMax = this.live.respBulkBytesMax;
    this.limits.queryBufferBytesMax = this.live.queryBufferBytesMax;
    for (const c of this.registry.values()) c.setIdleTimeoutMs(this.live.idleTimeoutSec * 1000);
  }

  private accept(socket: Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    if (this.registry.size >= this.live.clientsMax) {
      this.counters.rejectedConnectionsTotal++;
      socket.on("error", () => socket.destroy());
      // Discard whatever the client sends so its FIN is seen and the socket closes.
      socket.resume();
      socket.end("-ERR max number of clients reached\r\n");
      return;
    }
    this.counters.connectionsTotal++;
    const id = this.nextClientId++;
    const authenticated = this.live.requirePass === "";
    const client = new Connection(
      id,
      socket,
      this,
      this.clock.nowMs(),
      authenticated,
      this.defaultConsistency,
    );
    client.setIdleTimeoutMs(this.live.idleTimeoutSec * 1000);
    this.registry.set(id, client);
  }
}
