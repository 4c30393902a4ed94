import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Cluster, type Redis } from "ioredis";
import {
  allDataBounds,
  keyHashSlot,
  keyspaceBounds,
  keyspaceId,
  SLOT_COUNT,
  slotBounds,
} from "../../lib/index.js";
import type { RangeSummary } from "../../range/types.js";
import { CLUSTER_KEYSPACE } from "./cluster-view.js";
import type { RespClusterNode, RespClusterTopology } from "./options.js";
import { redisNodeId, redisShardId } from "./redis-node-id.js";
import { Clients, errorOf } from "./testing/clients.js";
import { endsWithEcho, rawExchange } from "./testing/raw.js";
import { startTestServer, type TestServer } from "./testing/start.js";

const CLUSTER_ID = "test-cluster";
const NOW_MS = 1_700_000_000_000;
const clock = { nowMs: () => NOW_MS, monotonicMs: () => performance.now() };

function member(id: number, liveness: RespClusterNode["liveness"]): RespClusterNode {
  return {
    id,
    respAddress: `127.0.0.1:700${id}`,
    busAddress: `127.0.0.1:1700${id}`,
    state: "active",
    liveness,
  };
}

function slotRange(
  rangeId: number,
  from: number,
  to: number,
  leaderId: number,
  voters: number[],
  generation: number,
  learners: number[] = [],
): RangeSummary {
  const bounds = slotBounds(CLUSTER_KEYSPACE, from, to);
  return { rangeId, ...bounds, generation, voters, learners, leaderId };
}

/**
 * Three nodes; node 1 is this one and node 3 is suspect. Keyspace 0 is three
 * shards: 0-5460 led by 1, 5461-10922 led by 2 (both replicated on all
 * three), and 10923-16383 led by 3, in two ranges replicated on 2 and 3 with
 * 1 learning. Keyspace 1 has a range of its own, which Redis never sees.
 */
class FakeTopology implements RespClusterTopology {
  members: RespClusterNode[] = [
    member(1, "live"),
    member(2, "live"),
    member(3, "suspect"),
    { ...member(4, "dead"), state: "removed" },
  ];
  table: RangeSummary[] = [
    { ...slotRange(2, 0, 5461, 1, [1, 2, 3], 3), start: allDataBounds().start },
    slotRange(3, 5461, 10923, 2, [1, 2, 3], 5),
    slotRange(4, 10923, 12000, 3, [2, 3], 2, [1]),
    slotRange(5, 12000, SLOT_COUNT, 3, [2, 3], 4, [1]),
    {
      rangeId: 6,
      ...keyspaceBounds(keyspaceId(1), "hash"),
      end: allDataBounds().end,
      generation: 9,
      voters: [1],
      learners: [],
      leaderId: 1,
    },
  ];
  clusterId(): string {
    return CLUSTER_ID;
  }
  myId(): number {
    return 1;
  }
  nodes(): readonly RespClusterNode[] {
    return this.members;
  }
  ranges(): readonly RangeSummary[] {
    return this.table;
  }
}

const id = (n: number) => redisNodeId(CLUSTER_ID, n);
const END = "end-of-exchange";

/** Sends `requests` (CRLF-separated) on a fresh connection and returns what came back. */
async function exchange(port: number, requests: string): Promise<string> {
  const res = await rawExchange(port, `${requests}\r\nECHO ${END}\r\n`, {
    until: endsWithEcho(END),
  });
  const tail = `$${END.length}\r\n${END}\r\n`;
  assert.ok(res.text.endsWith(tail), res.text);
  return res.text.slice(0, -tail.length);
}

const HELLO3 = "HELLO 3\r\n";
/** Drops HELLO 3's reply from the front of an exchange's text. */
function afterHello(text: string): string {
  const at = text.indexOf("$7\r\nmodules\r\n*0\r\n");
  assert.ok(at >= 0, text);
  return text.slice(at + "$7\r\nmodules\r\n*0\r\n".length);
}

describe("Redis Cluster commands", () => {
  let t: TestServer;
  let topology: FakeTopology;
  let clients: Clients;
  let r: Redis;

  before(async () => {
    topology = new FakeTopology();
    t = await startTestServer({ topology, clock });
    clients = new Clients(t.port);
    r = clients.connect();
  });
  after(async () => {
    clients.closeAll();
    await t.stop();
  });

  /** An entry of CLUSTER SLOTS for node n: [ip, port, id, {}]. */
  const slotNode = (n: number, proto: 2 | 3) =>
    `*4\r\n$9\r\n127.0.0.1\r\n:700${n}\r\n$40\r\n${id(n)}\r\n${proto === 2 ? "*0" : "%0"}\r\n`;
  const slotsReply = (proto: 2 | 3) =>
    "*3\r\n" +
    `*5\r\n:0\r\n:5460\r\n${slotNode(1, proto)}${slotNode(2, proto)}${slotNode(3, proto)}` +
    `*5\r\n:5461\r\n:10922\r\n${slotNode(2, proto)}${slotNode(1, proto)}${slotNode(3, proto)}` +
    `*4\r\n:10923\r\n:16383\r\n${slotNode(3, proto)}${slotNode(2, proto)}`;

  it("CLUSTER SLOTS: one entry per interval, master first, then the other voters", async () => {
    assert.equal(await exchange(t.port, "CLUSTER SLOTS"), slotsReply(2));
    assert.equal(afterHello(await exchange(t.port, `${HELLO3}CLUSTER SLOTS`)), slotsReply(3));
  });

  it("CLUSTER SLOTS covers all 16384 slots exactly once", async () => {
    const entries = (await r.call("CLUSTER", "SLOTS")) as [number, number, ...unknown[]][];
    const covered = new Uint8Array(SLOT_COUNT);
    for (const [first, last] of entries) for (let s = first; s <= last; s++) covered[s]! += 1;
    assert.ok(covered.every((n) => n === 1));
  });

  it("CLUSTER SLOTS leaves out failed replicas, as Redis does", async () => {
    topology.members[1] = member(2, "dead");
    try {
      const entries = (await r.call("CLUSTER", "SLOTS")) as unknown[][];
      assert.deepEqual(
        entries.map((e) => (e.slice(2) as [string, number][]).map(([, port]) => port)),
        [[7001, 7003], [7002, 7001, 7003], [7003]],
      );
    } finally {
      topology.members[1] = member(2, "live");
    }
  });

  it("CLUSTER SLOTS names every live member once at least, and no replica without an address", async () => {
    // Node 5 holds nothing this node knows of (it joined moments ago, or the
    // range table here lags); node 3's address is not known yet.
    const saved = [...topology.members];
    topology.members.push(member(5, "live"), { ...member(6, "live"), respAddress: "" });
    topology.members[2] = { ...member(3, "suspect"), respAddress: "" };
    try {
      const entries = (await r.call("CLUSTER", "SLOTS")) as unknown[][];
      const ports = entries.map((e) => (e.slice(2) as [string, number][]).map(([, port]) => port));
      // Node 3's slots are served by a voter with an address (cluster-view.ts).
      assert.deepEqual(ports, [[7001, 7002, 7005], [7002, 7001], [7002]]);
    } finally {
      topology.members = saved;
    }
  });

  it("CLUSTER SLOTS keeps naming a node removed moments ago, as a replica, until it is gone", async () => {
    // Node 5 was just taken out: it may still owe replies to commands clients
    // sent it, which a client that dropped it would send again. Node 6 was
    // removed long ago, node 7 moments ago but is dead; neither is named.
    const saved = [...topology.members];
    topology.members.push(
      { ...member(5, "live"), state: "removed", leaving: true },
      { ...member(6, "live"), state: "removed" },
      { ...member(7, "dead"), state: "removed", leaving: true },
    );
    try {
      const entries = (await r.call("CLUSTER", "SLOTS")) as unknown[][];
      const ports = entries.map((e) => (e.slice(2) as [string, number][]).map(([, port]) => port));
      assert.deepEqual(ports, [
        [7001, 7002, 7003, 7005],
        [7002, 7001, 7003],
        [7003, 7002],
      ]);
      // Nowhere else: it is no member (CLUSTER NODES, INFO's cluster_known_nodes).
      assert.doesNotMatch((await r.call("CLUSTER", "NODES")) as string, /:7005@/);
      assert.match((await r.call("CLUSTER", "INFO")) as string, /cluster_known_nodes:3\r\n/);
    } finally {
      topology.members = saved;
    }
  });

  it("CLUSTER NODES: every member as master, myself and fail? flags, owned slots", async () => {
    const text =
      `${id(1)} 127.0.0.1:7001@17001 myself,master - 0 0 3 connected 0-5460\n` +
      `${id(2)} 127.0.0.1:7002@17002 master - 0 ${NOW_MS} 5 connected 5461-10922\n` +
      `${id(3)} 127.0.0.1:7003@17003 master,fail? - 0 0 4 disconnected 10923-16383\n`;
    assert.equal(await exchange(t.port, "CLUSTER NODES"), `$${text.length}\r\n${text}\r\n`);
    assert.equal(
      afterHello(await exchange(t.port, `${HELLO3}CLUSTER NODES`)),
      `=${text.length + 4}\r\ntxt:${text}\r\n`,
    );
  });

  it("CLUSTER NODES lists single slots alone, dead nodes as fail, unknown addresses as noaddr", async () => {
    const saved = [...topology.table];
    topology.members.push({ ...member(5, "dead"), respAddress: "" });
    topology.table = [
      slotRange(2, 0, 1, 5, [5], 1),
      slotRange(3, 1, 100, 2, [2], 1),
      slotRange(4, 100, 101, 5, [5], 1),
    ];
    try {
      const text = (await r.call("CLUSTER", "NODES")) as string;
      assert.equal(
        text.split("\n")[3],
        `${id(5)} :0@17005 master,fail,noaddr - 0 0 1 disconnected 0 100`,
      );
      assert.equal(
        (await r.call("CLUSTER", "INFO")) as string,
        [
          "cluster_state:fail",
          // Slots 101-16383, which this node cannot place, are served by itself
          // (it forwards), with no known leader: pfail.
          "cluster_slots_assigned:16384",
          "cluster_slots_ok:99",
          "cluster_slots_pfail:16283",
          "cluster_slots_fail:2",
          "cluster_known_nodes:4",
          "cluster_size:3",
          "cluster_current_epoch:1",
          "cluster_my_epoch:0",
          "cluster_stats_messages_sent:0",
          "cluster_stats_messages_received:0",
          "total_cluster_links_buffer_limit_exceeded:0",
          "",
        ].join("\r\n"),
      );
    } finally {
      topology.members.pop();
      topology.table = saved;
    }
  });

  it("CLUSTER INFO: slot health, nodes, size and epochs, as Redis lays them out", async () => {
    const text = [
      "cluster_state:ok",
      "cluster_slots_assigned:16384",
      "cluster_slots_ok:10923",
      "cluster_slots_pfail:5461",
      "cluster_slots_fail:0",
      "cluster_known_nodes:3",
      "cluster_size:3",
      "cluster_current_epoch:9",
      "cluster_my_epoch:3",
      "cluster_stats_messages_sent:0",
      "cluster_stats_messages_received:0",
      "total_cluster_links_buffer_limit_exceeded:0",
      "",
    ].join("\r\n");
    assert.equal(await exchange(t.port, "CLUSTER INFO"), `$${text.length}\r\n${text}\r\n`);
    assert.equal(
      afterHello(await exchange(t.port, `${HELLO3}CLUSTER INFO`)),
      `=${text.length + 4}\r\ntxt:${text}\r\n`,
    );
  });

  it("CLUSTER INFO: a range without a known leader makes its slots pfail and the state fail", async () => {
    const saved = topology.table[1] as RangeSummary;
    topology.table[1] = { ...saved, leaderId: 0 };
    try {
      const text = (await r.call("CLUSTER", "INFO")) as string;
      assert.match(text, /^cluster_state:fail\r\n/);
      assert.match(text, /\r\ncluster_slots_ok:5461\r\ncluster_slots_pfail:10923\r\n/);
      // The first voter stands in as master.
      const slots = (await r.call("CLUSTER", "SLOTS")) as [number, number, [string, number]][];
      assert.equal(slots[1]?.[2][1], 7001);
    } finally {
      topology.table[1] = saved;
    }
  });

  it("CLUSTER SHARDS: slots and nodes per shard, in RESP3 and RESP2", async () => {
    const nodeMap = (n: number, role: string, health = "online") =>
      `%7\r\n$2\r\nid\r\n$40\r\n${id(n)}\r\n$4\r\nport\r\n:700${n}\r\n` +
      "$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n" +
      `$4\r\nrole\r\n$${role.length}\r\n${role}\r\n$18\r\nreplication-offset\r\n:0\r\n` +
      `$6\r\nhealth\r\n$${health.length}\r\n${health}\r\n`;
    const shard = (first: number, last: number, nodes: string[]) =>
      `%2\r\n$5\r\nslots\r\n*2\r\n:${first}\r\n:${last}\r\n$5\r\nnodes\r\n*${nodes.length}\r\n${nodes.join("")}`;
    assert.equal(
      afterHello(await exchange(t.port, `${HELLO3}CLUSTER SHARDS`)),
      "*3\r\n" +
        shard(0, 5460, [nodeMap(1, "master"), nodeMap(2, "replica"), nodeMap(3, "replica")]) +
        shard(5461, 10922, [nodeMap(2, "master"), nodeMap(1, "replica"), nodeMap(3, "replica")]) +
        shard(10923, 16383, [nodeMap(3, "master"), nodeMap(2, "replica")]),
    );
    const resp2 = await exchange(t.port, "CLUSTER SHARDS");
    assert.ok(
      resp2.startsWith(
        "*3\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n*3\r\n*14\r\n$2\r\nid\r\n",
      ),
      resp2,
    );
  });

  it("CLUSTER SHARDS gathers a master's separate intervals into one shard", async () => {
    const saved = topology.table;
    topology.table = [
      slotRange(2, 0, 100, 1, [1, 2], 1),
      slotRange(3, 100, 200, 2, [1, 2], 1),
      slotRange(4, 200, SLOT_COUNT, 1, [1, 2], 1),
    ];
    try {
      const shards = (await r.call("CLUSTER", "SHARDS")) as unknown[][];
      assert.deepEqual(
        shards.map((s) => s[1]),
        [
          [0, 99, 200, 16383],
          [100, 199],
        ],
      );
    } finally {
      topology.table = saved;
    }
  });

  it("CLUSTER MYID and MYSHARDID answer this node's derived ids", async () => {
    assert.equal(
      await exchange(t.port, "CLUSTER MYID\r\nCLUSTER MYSHARDID"),
      `$40\r\n${id(1)}\r\n$40\r\n${redisShardId(CLUSTER_ID, 1)}\r\n`,
    );
  });

  it("CLUSTER KEYSLOT hashes keys as Redis does, hash tags included", async () => {
    const cases: [string, number][] = [
      ["foo", 12182],
      ["{user1000}.following", 3443],
      ["{user1000}.followers", 3443],
      ["foo{}{bar}", 8363],
      ["foo{{bar}}zap", 4015],
      ["foo{bar}{zap}", 5061],
      ["{}", 15257],
      ["", 0],
    ];
    for (const [key, slot] of cases) {
      assert.equal(await r.call("CLUSTER", "KEYSLOT", key), slot, key);
    }
  });

  it("CLUSTER COUNTKEYSINSLOT and GETKEYSINSLOT see exactly the keys of one slot", async () => {
    const pairs: string[] = [];
    for (let i = 0; i < 3000; i++) pairs.push(`k${i}`, "v");
    for (let i = 0; i < 5; i++) pairs.push(`{tag}${i}`, "v");
    await r.mset(...pairs);
    const keys = pairs.filter((_, i) => i % 2 === 0);
    const inSlot = (slot: number) => keys.filter((k) => keyHashSlot(Buffer.from(k)) === slot);
    const tagSlot = keyHashSlot(Buffer.from("tag"));
    for (const slot of [0, 1, tagSlot, 8000, 16383]) {
      assert.equal(
        await r.call("CLUSTER", "COUNTKEYSINSLOT", slot),
        inSlot(slot).length,
        `${slot}`,
      );
    }
    assert.deepEqual(
      ((await r.call("CLUSTER", "GETKEYSINSLOT", tagSlot, 100)) as string[]).sort(),
      inSlot(tagSlot).sort(),
    );
    const two = (await r.call("CLUSTER", "GETKEYSINSLOT", tagSlot, 2)) as string[];
    assert.equal(two.length, 2);
    assert.ok(two.every((k) => keyHashSlot(Buffer.from(k)) === tagSlot));
    assert.deepEqual(await r.call("CLUSTER", "GETKEYSINSLOT", tagSlot, 0), []);
    // The walk starts at the slot and stops when it leaves it: one SCAN, not the keyspace.
    const readsBefore = t.service.reads.length;
    await r.call("CLUSTER", "COUNTKEYSINSLOT", 100);
    assert.ok(t.service.reads.length - readsBefore <= 2);
    await r.flushall();
  });

  it("refuses bad slots and counts with Redis's errors", async () => {
    assert.equal(
      await exchange(
        t.port,
        [
          "CLUSTER COUNTKEYSINSLOT 16384",
          "CLUSTER COUNTKEYSINSLOT -1",
          "CLUSTER COUNTKEYSINSLOT x",
          "CLUSTER GETKEYSINSLOT 0 -1",
          "CLUSTER GETKEYSINSLOT 16384 1",
          "CLUSTER GETKEYSINSLOT x 1",
          "CLUSTER GETKEYSINSLOT 1 x",
          "CLUSTER KEYSLOT",
          "CLUSTER FOO",
          "CLUSTER",
        ].join("\r\n"),
      ),
      "-ERR Invalid slot\r\n" +
        "-ERR Invalid slot\r\n" +
        "-ERR value is not an integer or out of range\r\n" +
        "-ERR Invalid slot or number of keys\r\n" +
        "-ERR Invalid slot or number of keys\r\n" +
        "-ERR value is not an integer or out of range\r\n" +
        "-ERR value is not an integer or out of range\r\n" +
        "-ERR wrong number of arguments for 'cluster|keyslot' command\r\n" +
        "-ERR unknown subcommand 'FOO'. Try CLUSTER HELP.\r\n" +
        "-ERR wrong number of arguments for 'cluster' command\r\n",
    );
  });

  it("CLUSTER HELP lists the subcommands served", async () => {
    const help = (await r.call("CLUSTER", "HELP")) as string[];
    assert.equal(help[0], "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    assert.deepEqual(help.slice(-2), ["HELP", "    Print this help."]);
    for (const sub of ["COUNTKEYSINSLOT", "GETKEYSINSLOT", "INFO", "KEYSLOT", "MYID", "NODES"]) {
      assert.ok(
        help.some((l) => l.startsWith(sub)),
        sub,
      );
    }
  });

  it("describes READONLY, READWRITE and ASKING in COMMAND INFO as Redis does", async () => {
    assert.equal(
      await exchange(t.port, "COMMAND INFO readonly"),
      "*1\r\n*10\r\n$8\r\nreadonly\r\n:1\r\n*3\r\n+loading\r\n+stale\r\n+fast\r\n:0\r\n:0\r\n:0\r\n" +
        "*2\r\n+@fast\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n",
    );
    const [[slots]] = (await r.command("INFO", "cluster|slots")) as [unknown[]][];
    assert.equal(slots, "cluster|slots");
  });

  it("READONLY reads from the local replica until READWRITE or RESET", async () => {
    const before = t.service.reads.length;
    await exchange(
      t.port,
      "GET a\r\nREADONLY\r\nGET a\r\nCLIENT INFO\r\nREADWRITE\r\nGET a\r\nREADONLY\r\nRESET\r\nGET a",
    );
    assert.deepEqual(t.service.reads.slice(before), ["strong", "any", "strong", "strong"]);
    const info = await exchange(t.port, "READONLY\r\nCLIENT INFO");
    assert.match(info, / flags=r /);
  });

  it("INFO and HELLO say the server runs as a cluster", async () => {
    assert.match(await r.info("cluster"), /^# Cluster\r\ncluster_enabled:1\r\n/);
    assert.match(await r.info("server"), /\r\nredis_mode:cluster\r\n/);
    const hello = (await r.call("HELLO", "2")) as string[];
    assert.equal(hello[hello.indexOf("mode") + 1], "cluster");
  });
});

describe("MOVED and forwarding", () => {
  const servers: TestServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  async function serverWith(redirect?: "auto" | "always" | "never"): Promise<TestServer> {
    const t = await startTestServer({
      topology: new FakeTopology(),
      ...(redirect !== undefined ? { redirect } : {}),
    });
    t.service.movedTo = "127.0.0.1:7002";
    servers.push(t);
    return t;
  }

  it("auto: answers MOVED only on cluster-aware connections, for single-key commands", async () => {
    const t = await serverWith();
    // A plain client is served here: the service forwards for it.
    assert.equal(await exchange(t.port, "GET foo\r\nSET foo 1"), "$-1\r\n+OK\r\n");
    const aware = await exchange(
      t.port,
      "CLUSTER MYID\r\nGET foo\r\nSET foo 1\r\nMGET foo bar\r\nDEL foo",
    );
    assert.equal(
      aware,
      `$40\r\n${id(1)}\r\n` +
        "-MOVED 12182 127.0.0.1:7002\r\n" +
        "-MOVED 12182 127.0.0.1:7002\r\n" +
        "*2\r\n$1\r\n1\r\n$-1\r\n" +
        ":1\r\n",
    );
    for (const becomesAware of [
      "CLUSTER SLOTS",
      "CLUSTER SHARDS",
      "CLUSTER NODES",
      "READONLY",
      "READWRITE",
      "ASKING",
    ]) {
      const text = await exchange(t.port, `${becomesAware}\r\nINCR foo`);
      assert.ok(text.endsWith("-MOVED 12182 127.0.0.1:7002\r\n"), becomesAware);
    }
    const info = await exchange(t.port, "CLUSTER INFO\r\nCLUSTER KEYSLOT x\r\nGET foo");
    assert.ok(info.endsWith("$-1\r\n"), "INFO and KEYSLOT do not make a client cluster-aware");
  });

  it("always: every connection is redirected; never: none is", async () => {
    const always = await serverWith("always");
    assert.equal(await exchange(always.port, "GET foo"), "-MOVED 12182 127.0.0.1:7002\r\n");
    const never = await serverWith("never");
    const served = await exchange(never.port, "CLUSTER MYID\r\nGET foo");
    assert.equal(served, `$40\r\n${id(1)}\r\n$-1\r\n`);
    assert.ok(never.service.routes.every((r) => r.redirect === false));
  });

  it("a standalone server never redirects", async () => {
    const t = await startTestServer({ redirect: "always" });
    servers.push(t);
    t.service.movedTo = "127.0.0.1:7002";
    assert.equal(await exchange(t.port, "GET foo"), "$-1\r\n");
  });

  it("ASKING lasts for the next command only", async () => {
    const t = await serverWith();
    const clients = new Clients(t.port);
    try {
      const c = clients.connect();
      await c.call("CLIENT", "SETNAME", "asker");
      const asker = () => t.server.clients().find((x) => x.name === "asker");
      assert.equal(await c.call("ASKING"), "OK");
      assert.equal(asker()?.asking, true);
      await c.ping();
      assert.equal(asker()?.asking, false);
    } finally {
      clients.closeAll();
    }
  });
});

describe("Redis Cluster commands on a standalone server", () => {
  let t: TestServer;
  let clients: Clients;
  let r: Redis;

  before(async () => {
    t = await startTestServer();
    clients = new Clients(t.port);
    r = clients.connect();
  });
  after(async () => {
    clients.closeAll();
    await t.stop();
  });

  it("refuses them as Redis does without cluster support", async () => {
    for (const args of [
      ["CLUSTER", "SLOTS"],
      ["CLUSTER", "NODES"],
      ["CLUSTER", "INFO"],
      ["CLUSTER", "KEYSLOT", "x"],
      ["CLUSTER", "HELP"],
      ["READONLY"],
      ["READWRITE"],
      ["ASKING"],
    ]) {
      assert.equal(
        await errorOf(r.call(args[0] as string, ...args.slice(1))),
        "ERR This instance has cluster support disabled",
        args.join(" "),
      );
    }
    assert.match(await r.info("cluster"), /^# Cluster\r\ncluster_enabled:0\r\n/);
  });
});

describe("an ioredis Cluster client", () => {
  it("discovers the slots, then reads and writes", async () => {
    let port = 0;
    const self: RespClusterTopology = {
      clusterId: () => CLUSTER_ID,
      myId: () => 1,
      nodes: () => [{ ...member(1, "live"), respAddress: `127.0.0.1:${port}` }],
      ranges: () => [slotRange(2, 0, SLOT_COUNT, 1, [1], 1)],
    };
    const t = await startTestServer({ topology: self });
    port = t.port;
    const cluster = new Cluster([{ host: "127.0.0.1", port }], {
      clusterRetryStrategy: () => null,
      redisOptions: { maxRetriesPerRequest: 0 },
    });
    try {
      assert.equal(await cluster.set("{user1000}.following", "1"), "OK");
      assert.equal(await cluster.get("{user1000}.following"), "1");
      assert.deepEqual(
        cluster.nodes("master").map((n) => n.options.port),
        [port],
      );
    } finally {
      cluster.disconnect();
      await t.stop();
    }
  });
});
