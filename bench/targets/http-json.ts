/**
 * One HTTP request with a JSON body and a JSON (or text) answer, bounded by a
 * timeout: the control channel to etcd (health, status, probe writes).
 */
import { request } from "node:http";

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

export function httpJson(
  host: string,
  port: number,
  method: "GET" | "POST",
  path: string,
  body: unknown,
  timeoutMs: number,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? "" : JSON.stringify(body);
    const req = request(
      {
        host,
        port,
        method,
        path,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text) },
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        let answer = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (answer.length < 1_000_000) answer += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: answer }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)),
    );
    req.on("error", reject);
    req.end(text);
  });
}
