import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nodeId } from "../lib/index.js";
import { decodeNodeRecord, encodeNodeRecord, type NodeRecord } from "./node-record.js";

const record: NodeRecord = {
  id: nodeId(4),
  address: "127.0.0.1:17004",
  respAddress: "127.0.0.1:7004",
  httpAddress: "127.0.0.1:8004",
  locality: { region: "eu" },
  state: "active",
  joinedAtMs: 1_700_000_000_000,
};

const text = (r: unknown) => new TextEncoder().encode(JSON.stringify(r));

describe("node record", () => {
  it("round-trips, with and without the time of its removal", () => {
    assert.deepEqual(decodeNodeRecord(encodeNodeRecord(record)), record);
    const removed: NodeRecord = { ...record, state: "removed", removedAtMs: 1_700_000_123_000 };
    assert.deepEqual(decodeNodeRecord(encodeNodeRecord(removed)), removed);
  });

  it("reads a removed node's record written before removedAtMs existed", () => {
    const old = decodeNodeRecord(text({ ...record, state: "removed" }));
    assert.equal(old.state, "removed");
    assert.equal(old.removedAtMs, undefined);
    assert.ok(!("removedAtMs" in old));
  });

  it("refuses a malformed record as CORRUPTION", () => {
    for (const bad of [
      { ...record, removedAtMs: "yesterday" },
      { ...record, state: "gone" },
      { ...record, id: 0 },
      { ...record, locality: { region: 1 } },
    ]) {
      assert.throws(() => decodeNodeRecord(text(bad)), { code: "CORRUPTION" });
    }
    assert.throws(() => decodeNodeRecord(new TextEncoder().encode("{")), { code: "CORRUPTION" });
  });
});
