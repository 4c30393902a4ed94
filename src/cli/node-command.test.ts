/**
 * `tessera node remove|decommission` rides out a refusal that says the
 * cluster could do it a moment later (TRYAGAIN, CLUSTERDOWN), and gives up at
 * once on any other error, against a RESP server that answers as scripted.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { after, describe, it } from "node:test";
import { CommandFailure, MEMBERSHIP_ATTEMPTS, nodeCommand } from "./status-command.js";

/** Answers each connection's first command with the next scripted reply (raw RESP). */
async function scripted(
  replies: string[],
): Promise<{ server: Server; port: number; calls: () => number }> {
  let calls = 0;
  const server = createServer((socket) => {
    socket.once("data", () => {
      const reply = replies[Math.min(calls, replies.length - 1)]!;
      calls++;
      socket.end(reply);
    });
    socket.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return { server, port, calls: () => calls };
}

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

const ok = (text: string) => `$${text.length}\r\n${text}\r\n`;

describe("tessera node remove|decommission", () => {
  it("tries again while the cluster answers TRYAGAIN or CLUSTERDOWN", async () => {
    const s = await scripted([
      "-CLUSTERDOWN range 1 has no reachable leader (waited 2000 ms)\r\n",
      "-TRYAGAIN range 1 is moving its leader\r\n",
      ok("node 3 removed (4 replica changes)"),
    ]);
    servers.push(s.server);
    const out = await nodeCommand({ host: "127.0.0.1", port: s.port }, ["remove", "3"]);
    assert.equal(out, "node 3 removed (4 replica changes)\n");
    assert.equal(s.calls(), 3);
  });

  it("gives up at once on an error that is not transient", async () => {
    const s = await scripted(["-ERR refusing to remove node 3: it holds the last replica\r\n"]);
    servers.push(s.server);
    await assert.rejects(
      nodeCommand({ host: "127.0.0.1", port: s.port }, ["decommission", "3"]),
      (e) => e instanceof CommandFailure && /refusing to remove node 3/.test(e.message),
    );
    assert.equal(s.calls(), 1);
  });

  it(`gives up after ${MEMBERSHIP_ATTEMPTS} refusals`, async () => {
    const s = await scripted(["-CLUSTERDOWN range 1 has no reachable leader\r\n"]);
    servers.push(s.server);
    await assert.rejects(
      nodeCommand({ host: "127.0.0.1", port: s.port }, ["remove", "3"]),
      /CLUSTERDOWN range 1/,
    );
    assert.equal(s.calls(), MEMBERSHIP_ATTEMPTS);
  });
});
