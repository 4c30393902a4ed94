/**
 * What a write costs one 3-node cluster with its keyspace in 1 range and in
 * many, measured in ONE process: three StoreHosts, each with its own LMDB
 * store and TCP bus on 127.0.0.1, driven through their KvServices by
 * closed-loop writers that go to the leader of each key's range (as Redis
 * Cluster clients do). Everything runs on one thread, so the process's CPU
 * time per write (user + system) is the whole cluster's, without the
 * scheduling noise of separate processes sharing the machine: the
 * instrument for the cost of more Raft groups (Readies, messages) per write.
 *
 *   node --import tsx bench/micro/multi-range-writes.ts [ranges…] [--clients N] [--seconds S]
 *     [--windows W] [--heap-sample PREFIX]
 *
 * With --windows W, first prints W - 1 windows of S seconds measured one after
 * another (does a write cost more as the logs and the store grow?).
 * Prints, per range count: writes/s, CPU µs per write, Readies, store
 * commits and Raft messages per write, and the heap in use at the end. With --heap-sample, also the bytes allocated per write,
 * from V8's sampling heap profiler over the measured window (collected
 * objects included), and writes that profile to PREFIX.<ranges>.heapprofile
 * (Chrome DevTools opens it). Under --cpu-prof it prints the measured window
 * on V8's profile clock.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { cpuUsage } from "node:process";
import type { WriteCommand } from "../../src/kv/index.js";
import {
  keyHashSlot,
  nodeId,
  type RangeId,
  SLOT_COUNT,
  slotBoundaryKey,
} from "../../src/lib/index.js";
import { SYSTEM_RANGE_ID, USER_RANGE_ID } from "../../src/range/index.js";
import { BusCluster, KS, type TestNode } from "../../src/range/testing/bus-cluster.js";

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const clients = flag("--clients", 50);
const heapSampleIndex = args.indexOf("--heap-sample");
const heapSample = heapSampleIndex === -1 ? undefined : args[heapSampleIndex + 1];
const seconds = flag("--seconds", 10);
// Windows of `seconds` measured one after another before the summary: whether
// a write's cost grows as the logs, tails and store grow.
const windows = flag("--windows", 1);
const counts = args
  .filter((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--"))
  .map(Number);
const VALUE = new Uint8Array(100).fill(120);

async function measure(ranges: number): Promise<void> {
  // A server's timing (src/server/node.ts) and log retention, not the tests'.
  const cluster = new BusCluster({}, 1000, {
    raftTiming: { tickMs: 50, electionTick: 20, heartbeatTick: 1 },
    logEntriesKeep: 10_000,
  });
  try {
    await cluster.bootstrapped(1, 2, 3);
    const first = cluster.node(1);
    for (const r of [SYSTEM_RANGE_ID, USER_RANGE_ID]) {
      await first.host.changeReplicas(r, [
        { type: "add-voter", nodeId: nodeId(2) },
        { type: "add-voter", nodeId: nodeId(3) },
      ]);
    }
    // Boundaries from the top down: the left part stays USER_RANGE_ID each time.
    const lo: number[] = [0];
    const ids: RangeId[] = [USER_RANGE_ID];
    for (let i = ranges - 1; i >= 1; i--) {
      const slot = Math.floor((i * SLOT_COUNT) / ranges);
      const leader = await cluster.leaderOf(USER_RANGE_ID);
      const right = await leader.host.split(USER_RANGE_ID, slotBoundaryKey(KS, slot), true);
      lo.splice(1, 0, slot);
      ids.splice(1, 0, right);
    }
    const leaders: TestNode[] = [];
    for (const id of ids) leaders.push(await cluster.leaderOf(id));
    const rangeOfSlot = (slot: number) => {
      let i = lo.length - 1;
      while (lo[i]! > slot) i--;
      return i;
    };
    const hosts = [...cluster.nodes.values()].map((n) => n.host);
    const stat = () => {
      let readies = 0;
      let batches = 0;
      let messages = 0;
      for (const h of hosts) {
        const st = h.stats();
        readies += st.readiesTotal;
        batches += st.batchesTotal;
        messages += st.raftMessagesSentTotal;
      }
      return { readies, batches, messages };
    };
    let writes = 0;
    let running = true;
    const writer = async (w: number) => {
      let n = 0;
      while (running) {
        // 50 keys per writer: after the warm-up, writes overwrite (as the bench's SET phase does).
        const key = new TextEncoder().encode(`key:${w}:${n++ % 50}`);
        const cmd: WriteCommand = {
          op: "set",
          ks: KS,
          key,
          value: VALUE,
          expiry: { kind: "none" },
          cond: "always",
          get: false,
        };
        await leaders[rangeOfSlot(keyHashSlot(key))]!.host.service.write(cmd);
        writes++;
      }
    };
    const loops = Array.from({ length: clients }, (_, w) => writer(w));
    await new Promise((r) => setTimeout(r, 2000));
    const session = heapSample === undefined ? undefined : new Session();
    if (session) {
      // Every allocation of the window, collected or not, sampled every 4 KiB.
      session.connect();
      await session.post("HeapProfiler.startSampling", {
        samplingInterval: 4096,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    }
    for (let i = 1; i < windows; i++) {
      const [wa, ca, sa, ta] = [writes, cpuUsage(), stat(), performance.now()];
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const [wb, cb, sb, tb] = [writes, cpuUsage(ca), stat(), performance.now()];
      const n = wb - wa;
      console.log(
        `  window ${i}: ${Math.round((n * 1000) / (tb - ta))} writes/s, ` +
          `${((cb.user + cb.system) / n).toFixed(1)} µs CPU/write (sys ${(cb.system / n).toFixed(1)}), ` +
          `${((sb.readies - sa.readies) / n).toFixed(2)} Readies/write, ` +
          `heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB`,
      );
    }
    const [w0, c0, s0, t0] = [writes, cpuUsage(), stat(), performance.now()];
    const from = process.hrtime.bigint() / 1000n;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const [w1, c1, s1, t1] = [writes, cpuUsage(c0), stat(), performance.now()];
    // What the three nodes keep alive (log tails, caches): a larger heap costs every major GC.
    const heapUsed = process.memoryUsage().heapUsed;
    if (process.execArgv.includes("--cpu-prof")) {
      // The window on the clock V8's profiles use (CLOCK_MONOTONIC, µs), to cut samples to it.
      const to = process.hrtime.bigint() / 1000n;
      console.log(`  measured window ${from}-${to} µs monotonic, ${w1 - w0} writes`);
    }
    if (session) {
      const { profile } = await session.post("HeapProfiler.stopSampling");
      session.disconnect();
      const file = `${heapSample}.${ranges}.heapprofile`;
      writeFileSync(file, JSON.stringify(profile));
      type Node = { selfSize: number; children: Node[] };
      const sum = (n: Node): number => n.children.reduce((t, c) => t + sum(c), n.selfSize);
      const bytes = sum(profile.head);
      console.log(
        `  ${Math.round(bytes / (w1 - w0))} bytes allocated per write (sampled; ${file})`,
      );
    }
    running = false;
    await Promise.all(loops);
    const n = w1 - w0;
    const cpu = c1.user + c1.system;
    console.log(
      `ranges ${String(ranges).padStart(3)}: ${Math.round((n * 1000) / (t1 - t0))} writes/s, ` +
        `${(cpu / n).toFixed(1)} µs CPU/write (user ${(c1.user / n).toFixed(1)}, sys ${(c1.system / n).toFixed(1)}), ` +
        `${((s1.readies - s0.readies) / n).toFixed(2)} Readies/write, ${((s1.batches - s0.batches) / n).toFixed(3)} commits/write, ` +
        `${((s1.messages - s0.messages) / n).toFixed(2)} messages/write, ` +
        `heap ${Math.round(heapUsed / 2 ** 20)} MiB`,
    );
  } finally {
    await cluster.close();
  }
}

for (const r of counts.length > 0 ? counts : [1, 64]) await measure(r);
