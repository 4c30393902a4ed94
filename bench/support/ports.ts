/**
 * Free loopback ports. The kernel picks a free port for a listener on port 0;
 * the port is released and handed to the system under test. Ports handed out
 * are remembered so two calls in one run never return the same port, and a
 * port whose +10000 neighbour would overflow is avoided (Redis Cluster and
 * Tessera both derive bus ports that way by default).
 */
import { createServer } from "node:net";

const handedOut = new Set<number>();
const attemptsMax = 50;

function probe(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One free port on 127.0.0.1 not handed out before in this run. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < attemptsMax; attempt++) {
    const port = await probe();
    if (port > 0 && port < 55000 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found after ${attemptsMax} attempts`);
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  return ports;
}
