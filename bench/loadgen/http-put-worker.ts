/**
 * The etcd load generator's inner loop, run inside a worker thread: closed-loop
 * clients issuing `POST /v3/kv/put` to etcd's HTTP/JSON gateway (key and
 * value base64-encoded, as the gateway's JSON mapping of the gRPC API
 * requires), over keep-alive connections, one per client. Each client keeps
 * one request in flight, the same shape as a RESP client without pipelining.
 * Latency is recorded in the same log-linear histogram as the RESP generator.
 */
import { Agent, request } from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import { Histogram } from "./histogram.js";
import { keyChooser, seededRandom } from "./key-choice.js";
import { keyName, valueBytes } from "./keys.js";
import type { Endpoint, LoadResult } from "./resp-load-spec.js";

export interface HttpPutSpec {
  readonly endpoints: readonly Endpoint[];
  readonly clients: number;
  readonly clientOffset: number;
  readonly keyCount: number;
  readonly valueBytes: number;
  readonly seed: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly timeoutMs: number;
}

const errorSamplesMax = 5;
const requestTimeoutMs = 10_000;

export async function runHttpPut(spec: HttpPutSpec): Promise<LoadResult> {
  const random = seededRandom(spec.seed);
  const choose = keyChooser("uniform", spec.keyCount, random);
  const value64 = valueBytes(spec.valueBytes).toString("base64");
  const histogram = new Histogram();
  const errorSamples: string[] = [];
  let ops = 0;
  let errors = 0;
  const perEndpoint = spec.endpoints.map(() => 0);
  for (let c = 0; c < spec.clients; c++) {
    const e = (spec.clientOffset + c) % spec.endpoints.length;
    perEndpoint[e]! += 1;
  }
  const agents = spec.endpoints.map(
    (_, i) => new Agent({ keepAlive: true, maxSockets: Math.max(1, perEndpoint[i]!) }),
  );
  const startedAt = performance.now();
  const measureStart = startedAt + spec.warmupMs;
  const measureEnd = measureStart + spec.durationMs;
  const hardEnd = startedAt + spec.timeoutMs;

  const noteError = (text: string) => {
    errors++;
    if (errorSamples.length < errorSamplesMax) errorSamples.push(text);
  };

  const putOnce = (endpoint: Endpoint, agent: Agent): Promise<boolean> =>
    new Promise((resolve) => {
      const key64 = Buffer.from(keyName(choose())).toString("base64");
      const body = `{"key":"${key64}","value":"${value64}"}`;
      const req = request(
        {
          host: endpoint.host,
          port: endpoint.port,
          method: "POST",
          path: "/v3/kv/put",
          agent,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          },
          timeout: requestTimeoutMs,
        },
        (res) => {
          const ok = res.statusCode === 200;
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            if (!ok && text.length < 200) text += chunk;
          });
          res.on("end", () => {
            if (!ok) noteError(`HTTP ${res.statusCode}: ${text}`);
            resolve(ok);
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error("request timed out")));
      req.on("error", (error) => {
        noteError(error.message);
        resolve(false);
      });
      req.end(body);
    });

  const clientLoop = async (index: number) => {
    const e = (spec.clientOffset + index) % spec.endpoints.length;
    const endpoint = spec.endpoints[e]!;
    const agent = agents[e]!;
    for (let attempts = 0; attempts < 100_000_000; attempts++) {
      const sent = performance.now();
      if (sent >= measureEnd || sent >= hardEnd) return;
      const ok = await putOnce(endpoint, agent);
      const now = performance.now();
      if (ok && sent >= measureStart && now <= measureEnd) {
        ops++;
        histogram.recordMs(now - sent);
      }
      if (!ok) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  await Promise.all(Array.from({ length: spec.clients }, (_, i) => clientLoop(i)));
  for (const agent of agents) agent.destroy();
  return {
    ops,
    reads: 0,
    writes: ops,
    errors,
    errorSamples,
    measuredMs: spec.durationMs,
    histogram: histogram.snapshot(),
  };
}

if (parentPort !== null && workerData?.kind === "http-put") {
  const port = parentPort;
  runHttpPut(workerData.spec as HttpPutSpec).then(
    (result) => port.postMessage({ ok: true, result }),
    (error: unknown) =>
      port.postMessage({
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      }),
  );
}
