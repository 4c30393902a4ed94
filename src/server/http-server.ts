/**
 * The node's HTTP endpoint (for now the operational part of the HTTP port):
 *
 * - `GET /healthz` — 200 while the process serves at all;
 * - `GET /readyz`  — 200 once every range this node hosts has a leader and
 *   has applied its log, 503 before that and while shutting down;
 * - `GET /metrics` — Prometheus text exposition (format 0.0.4).
 *
 * Anything else is 404. The server holds no state of its own: it asks its
 * `HttpProbe` on each request.
 */
import { createServer, type Server } from "node:http";
import type { Logger } from "./logger.js";

export interface HttpProbe {
  isReady(): boolean;
  /** The Prometheus text of every metric. */
  metrics(): string;
}

export class HttpServer {
  private server: Server | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly probe: HttpProbe,
    private readonly logger: Logger,
  ) {}

  start(): Promise<{ port: number }> {
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      const send = (status: number, body: string, type = "text/plain; charset=utf-8") => {
        res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
        res.end(body);
      };
      if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed\n");
      switch (path) {
        case "/healthz":
          return send(200, "ok\n");
        case "/readyz":
          return this.probe.isReady() ? send(200, "ready\n") : send(503, "not ready\n");
        case "/metrics":
          try {
            return send(200, this.probe.metrics(), "text/plain; version=0.0.4; charset=utf-8");
          } catch (err) {
            this.logger.error({ err }, "metrics failed");
            return send(500, "metrics failed\n");
          }
        default:
          return send(404, "not found\n");
      }
    });
    server.keepAliveTimeout = 5_000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, this.host, () => {
        server.off("error", reject);
        const address = server.address();
        resolve({
          port: typeof address === "object" && address !== null ? address.port : this.port,
        });
      });
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
