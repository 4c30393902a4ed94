/**
 * The RESP load generator's inner loop, run inside a worker thread. Each
 * logical client is a closed loop that keeps `pipeline` commands in flight:
 * whenever a reply comes back the next command is issued, so offered load
 * follows what the server sustains. Commands are written from pre-encoded
 * templates and batched per connection per event-loop turn; replies are read
 * with the streaming RESP reader. Latency is the time from a command being
 * written to its reply arriving, recorded in a log-linear histogram for
 * commands sent and answered inside the measured window.
 */
import { connect, type Socket } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import { Histogram } from "./histogram.js";
import { keyChooser, seededRandom } from "./key-choice.js";
import { keySlot } from "./key-slot.js";
import { CommandTemplate, keyBytes, valueBytes } from "./keys.js";
import { ReplyReader, RespError, type RespValue } from "./resp.js";
import type { LoadResult, RespLoadSpec } from "./resp-load-spec.js";

const errorSamplesMax = 5;
const GET = 0;
const SET = 1;

/** One socket to one node, with the commands it has in flight (oldest first). */
interface Conn {
  socket: Socket;
  sentAt: number[];
  owner: Client[];
  isRead: boolean[];
  /** Commands queued for the next flush: template (GET/SET) and key index. */
  queuedKinds: number[];
  queuedKeys: number[];
  dead: boolean;
}

interface Client {
  /** Connection per node index; undefined for nodes this client never talks to. */
  conns: (Conn | undefined)[];
  homeNode: number;
}

function ownerTable(spec: RespLoadSpec): Uint8Array | null {
  if (spec.slotOwner === null) return null;
  const owners = new Uint8Array(spec.keyCount);
  for (let i = 0; i < spec.keyCount; i++) owners[i] = spec.slotOwner[keySlot(keyBytes(i))]!;
  return owners;
}

function openSocket(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    socket.once("connect", () => {
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

class LoadRun {
  private readonly random: () => number;
  private readonly choose: () => number;
  private readonly owners: Uint8Array | null;
  private readonly templates: CommandTemplate[];
  private readonly histogram = new Histogram();
  private readonly errorSamples: string[] = [];
  private readonly dirty = new Set<Conn>();
  private readonly clients: Client[] = [];
  private readonly conns: Conn[] = [];
  private ops = 0;
  private reads = 0;
  private writes = 0;
  private errors = 0;
  private issued = 0;
  private inflight = 0;
  private measureStart = Number.POSITIVE_INFINITY;
  private measureEnd = Number.POSITIVE_INFINITY;
  private stopping = false;
  private finish: () => void = () => {};

  constructor(private readonly spec: RespLoadSpec) {
    this.random = seededRandom(spec.seed);
    this.choose = keyChooser(
      spec.keyChoice,
      spec.keyCount,
      this.random,
      spec.zipfTheta,
      spec.sequentialStart,
    );
    this.owners = ownerTable(spec);
    this.templates = [
      new CommandTemplate("GET"),
      new CommandTemplate("SET", valueBytes(spec.valueBytes)),
    ];
  }

  /** Opens one socket per (client, node it may use). */
  async connect(): Promise<void> {
    const { spec } = this;
    for (let c = 0; c < spec.clients; c++) {
      const homeNode = (spec.clientOffset + c) % spec.nodes.length;
      const conns: (Conn | undefined)[] = [];
      for (let n = 0; n < spec.nodes.length; n++) {
        const used = this.owners !== null || n === homeNode;
        conns.push(used ? await this.openConn(n) : undefined);
      }
      this.clients.push({ conns, homeNode });
    }
  }

  private async openConn(node: number): Promise<Conn> {
    const endpoint = this.spec.nodes[node]!;
    const socket = await openSocket(endpoint.host, endpoint.port);
    const conn: Conn = {
      socket,
      sentAt: [],
      owner: [],
      isRead: [],
      queuedKinds: [],
      queuedKeys: [],
      dead: false,
    };
    const reader = new ReplyReader((value) => this.onReply(conn, value));
    socket.on("data", (chunk: Buffer) => {
      try {
        reader.feed(chunk);
      } catch (error) {
        this.killConn(conn, error instanceof Error ? error.message : String(error));
        socket.destroy();
      }
      this.flush();
      this.maybeFinish();
    });
    socket.on("error", (error) => this.killConn(conn, error.message));
    socket.on("close", () => this.killConn(conn, "connection closed"));
    this.conns.push(conn);
    return conn;
  }

  /** Runs the load: warm-up, measured window, drain; bounded by `timeoutMs`. */
  async run(): Promise<LoadResult> {
    const { spec } = this;
    const finished = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
    const startedAt = performance.now();
    this.measureStart = startedAt + spec.warmupMs;
    this.measureEnd =
      spec.durationMs > 0 ? this.measureStart + spec.durationMs : Number.POSITIVE_INFINITY;
    const hardStop = setTimeout(() => {
      this.stopping = true;
      for (const conn of this.conns) this.killConn(conn, "run time limit reached");
      this.finish();
    }, spec.timeoutMs);
    const windowStop =
      spec.durationMs > 0
        ? setTimeout(
            () => {
              this.stopping = true;
              this.maybeFinish();
            },
            this.measureEnd - startedAt + 1,
          )
        : undefined;
    for (const client of this.clients) {
      for (let i = 0; i < spec.pipeline && this.shouldIssue(startedAt); i++) this.issue(client);
    }
    if (this.inflight === 0) this.stopping = true;
    this.flush();
    this.maybeFinish();
    await finished;
    const endedAt = performance.now();
    clearTimeout(hardStop);
    clearTimeout(windowStop);
    for (const conn of this.conns) conn.socket.destroy();
    const measuredMs = spec.durationMs > 0 ? spec.durationMs : Math.max(1, endedAt - startedAt);
    return {
      ops: this.ops,
      reads: this.reads,
      writes: this.writes,
      errors: this.errors,
      errorSamples: this.errorSamples,
      measuredMs,
      histogram: this.histogram.snapshot(),
    };
  }

  private noteError(text: string): void {
    this.errors++;
    if (this.errorSamples.length < errorSamplesMax) this.errorSamples.push(text);
  }

  private shouldIssue(now: number): boolean {
    if (this.spec.opsMax > 0 && this.issued >= this.spec.opsMax) return false;
    return now < this.measureEnd;
  }

  /** Queues the client's next command on the connection to the node owning its key. */
  private issue(client: Client): void {
    const keyIndex = this.choose();
    const isRead = this.random() < this.spec.readFraction;
    const node = this.owners === null ? client.homeNode : this.owners[keyIndex]!;
    const conn = client.conns[node];
    if (conn === undefined || conn.dead) {
      this.noteError("connection closed");
      return;
    }
    conn.queuedKinds.push(isRead ? GET : SET);
    conn.queuedKeys.push(keyIndex);
    conn.owner.push(client);
    conn.isRead.push(isRead);
    this.inflight++;
    this.issued++;
    this.dirty.add(conn);
  }

  /** Writes every connection's queued commands, one buffer per connection. */
  private flush(): void {
    const now = performance.now();
    for (const conn of this.dirty) {
      let bytes = 0;
      for (const kind of conn.queuedKinds) bytes += this.templates[kind]!.bytes.length;
      const out = Buffer.allocUnsafe(bytes);
      let at = 0;
      for (let i = 0; i < conn.queuedKinds.length; i++) {
        at = this.templates[conn.queuedKinds[i]!]!.writeInto(out, at, conn.queuedKeys[i]!);
        conn.sentAt.push(now);
      }
      conn.queuedKinds.length = 0;
      conn.queuedKeys.length = 0;
      conn.socket.write(out);
    }
    this.dirty.clear();
  }

  private onReply(conn: Conn, value: RespValue): void {
    if (conn.dead) return;
    const now = performance.now();
    const sent = conn.sentAt.shift()!;
    const client = conn.owner.shift()!;
    const isRead = conn.isRead.shift()!;
    this.inflight--;
    if (value instanceof RespError) {
      this.noteError(value.message);
    } else if (sent >= this.measureStart && now <= this.measureEnd) {
      this.ops++;
      if (isRead) this.reads++;
      else this.writes++;
      this.histogram.recordMs(now - sent);
    }
    if (!this.stopping && this.shouldIssue(now)) this.issue(client);
    else this.stopping = true;
  }

  /** Fails everything in flight on a connection that broke. */
  private killConn(conn: Conn, why: string): void {
    if (conn.dead) return;
    conn.dead = true;
    const lost = conn.owner.length;
    this.inflight -= lost;
    for (let i = 0; i < lost; i++) this.noteError(why);
    conn.sentAt.length = 0;
    conn.owner.length = 0;
    conn.isRead.length = 0;
    conn.queuedKinds.length = 0;
    conn.queuedKeys.length = 0;
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.stopping && this.inflight === 0) this.finish();
  }
}

export async function runRespLoad(spec: RespLoadSpec): Promise<LoadResult> {
  const run = new LoadRun(spec);
  await run.connect();
  return run.run();
}

if (parentPort !== null && workerData?.kind === "resp-load") {
  const port = parentPort;
  runRespLoad(workerData.spec as RespLoadSpec).then(
    (result) => port.postMessage({ ok: true, result }),
    (error: unknown) =>
      port.postMessage({
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      }),
  );
}
