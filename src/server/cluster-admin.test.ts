import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { ClusterManager } from "../cluster/index.js";
import { equalBytes, isTesseraError, keyspaceId, nodeId, slotBoundaryKey } from "../lib/index.js";
import { StoreHost } from "../range/index.js";
import { Store } from "../storage/index.js";
import type { BusFaults } from "../transport/index.js";
import { applyFault, respAdminOf } from "./cluster-admin.js";

function recorder(): BusFaults & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    delay: (peers, ms) => {
      calls.push(["delay", peers, ms]);
    },
    drop: (peers, pct) => {
      calls.push(["drop", peers, pct]);
    },
    partition: (peers) => {
      calls.push(["partition", peers]);
    },
    heal: () => {
      calls.push(["heal"]);
    },
    describe: () => "faults: none",
  };
}

describe("DEBUG FAULT", () => {
  it("maps each subcommand to the bus's fault injection", () => {
    const f = recorder();
    applyFault(f, ["DELAY", "200", "2", "3"]);
    applyFault(f, ["drop", "10"]);
    applyFault(f, ["PARTITION", "2"]);
    applyFault(f, ["HEAL"]);
    assert.equal(applyFault(f, ["STATUS"]), "faults: none");
    assert.deepEqual(f.calls, [
      ["delay", [nodeId(2), nodeId(3)], 200],
      ["drop", [], 10],
      ["partition", [nodeId(2)]],
      ["heal"],
    ]);
  });

  it("refuses bad arguments with INVALID_ARGUMENT", () => {
    const f = recorder();
    for (const args of [["PARTITION"], ["DELAY", "x"], ["PARTITION", "zero"], ["NOPE"]]) {
      assert.throws(
        () => applyFault(f, args),
        (e) => isTesseraError(e, "INVALID_ARGUMENT"),
        args.join(" "),
      );
    }
  });
});

describe("TESSERA RANGE SPLIT", () => {
  it("splits ranges held here without reloading the meta table each time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-split-admin-"));
    const store = await Store.openLmdb({
      dataDir: dir,
      create: { clusterId: "c", nodeId: nodeId(1), nowMs: Date.now() },
    });
    const host = StoreHost.start({
      store,
      clock: { nowMs: () => Date.now(), monotonicMs: () => performance.now() },
      limits: {
        proposalsPendingMax: 1000,
        proposalBytesMax: 1024 * 1024,
        proposalTimeoutMs: 5000,
        readTimeoutMs: 5000,
        expireBatchKeysMax: 100,
      },
      tickMs: 10,
      onFatal: (e) => {
        throw e;
      },
    });
    try {
      await host.waitReady(5000);
      let reloads = 0;
      const refresh = host.refreshDirectory.bind(host);
      host.refreshDirectory = () => {
        reloads++;
        return refresh();
      };
      // Only splitAtSlot is used: it needs the host alone.
      const admin = respAdminOf(undefined as unknown as ClusterManager, recorder(), host);
      const slots = [8192, 4096, 12288, 2048, 6144, 10240, 14336, 1024];
      const ids = new Set<number>();
      for (const slot of slots) ids.add(await admin.splitAtSlot(slot));
      assert.equal(ids.size, slots.length, "each split made a range");
      for (const slot of slots) {
        const owner = host.directory.lookup(slotBoundaryKey(keyspaceId(0), slot));
        assert.ok(owner && equalBytes(owner.desc.start, slotBoundaryKey(keyspaceId(0), slot)));
      }
      // Each range split is held here and current: the cache answers, with no reload.
      assert.ok(reloads <= 1, `${reloads} reloads of the meta table for ${slots.length} splits`);
      // A split at a boundary that exists is answered from the cache too.
      assert.ok(ids.has(await admin.splitAtSlot(4096)));
      assert.ok(reloads <= 1);
    } finally {
      await host.stop(1000);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
