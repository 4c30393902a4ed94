/**
 * `tessera status` tables: the columns scripts match stay first, the
 * holdings and load columns follow, sizes read in binary units, and what
 * the cluster could not measure (or an older node did not send) reads "?".
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatRate, humanBytes, nodeRows, rangeRows, type Status } from "./status-command.js";

const status: Status = {
  clusterId: "c-1",
  metaLeader: 1,
  nodes: [
    {
      id: 1,
      address: "127.0.0.1:7101",
      respAddress: "127.0.0.1:6101",
      locality: {},
      state: "active",
      liveness: "live",
      replicas: 3,
      leaders: 2,
      keys: 1500,
      bytes: 1_258_291,
      opsPerSec: 3.5,
    },
    {
      id: 2,
      address: "127.0.0.1:7102",
      respAddress: "127.0.0.1:6102",
      locality: { zone: "b" },
      state: "active",
      liveness: "suspect",
      replicas: 3,
      leaders: 1,
      keys: null,
      bytes: null,
      opsPerSec: null,
    },
  ],
  ranges: [
    {
      rangeId: 2,
      leaderId: 1,
      voters: [2, 1],
      learners: [],
      commitIndex: 42,
      replicas: [
        { nodeId: 2, matchIndex: 42, lag: 0 },
        { nodeId: 3, matchIndex: 40, lag: 2 },
      ],
      span: "slots 0-5460",
      keys: 10,
      bytes: 640,
      opsPerSec: 250.4,
    },
    {
      rangeId: 7,
      leaderId: 2,
      voters: [1, 2],
      learners: [3],
      commitIndex: 9,
      replicas: [],
    },
  ],
};

describe("tessera status tables", () => {
  it("keeps the node columns scripts match first and adds holdings after them", () => {
    const [header, one, two] = nodeRows(status);
    assert.match(
      header!,
      /^\s+id\s+address\s+resp\s+locality\s+liveness\s+state\s+replicas\s+leaders\s+keys\s+size\s+ops\/s$/,
    );
    assert.match(
      one!,
      /^\s+1\s+127\.0\.0\.1:7101\s+127\.0\.0\.1:6101\s+-\s+live\s+active\s+3\s+2\s+1500\s+1\.2 MiB\s+3\.5$/,
    );
    assert.match(two!, /\s+zone=b\s+suspect\s+active\s+3\s+1\s+\?\s+\?\s+\?$/);
  });

  it("keeps the range columns scripts match first and adds span, keys, size and ops/s", () => {
    const [header, data, unknown] = rangeRows(status);
    assert.match(
      header!,
      /^\s+range\s+leader\s+voters\s+learners\s+commit\s+lag\s+span\s+keys\s+size\s+ops\/s$/,
    );
    assert.match(data!, /^\s+2\s+1\s+1,2\s+-\s+42\s+n2:0 n3:2\s+slots 0-5460\s+10\s+640 B\s+250$/);
    assert.match(unknown!, /^\s+7\s+2\s+1,2\s+3\s+9\s+-\s+\?\s+\?\s+\?\s+\?$/);
  });

  it("lines the columns up", () => {
    const rows = rangeRows(status);
    const at = rows[0]!.indexOf("span");
    assert.equal(rows[1]!.indexOf("slots"), at);
    assert.equal(rows[2]!.indexOf("?"), at);
  });
});

describe("status figures", () => {
  it("shows sizes in binary units with one decimal", () => {
    assert.equal(humanBytes(0), "0 B");
    assert.equal(humanBytes(1023), "1023 B");
    assert.equal(humanBytes(1024), "1.0 KiB");
    assert.equal(humanBytes(1_258_291), "1.2 MiB");
    assert.equal(humanBytes(5 * 1024 ** 4), "5.0 TiB");
    assert.equal(humanBytes(null), "?");
  });

  it("shows rates with one decimal below 100 and whole above", () => {
    assert.equal(formatRate(0), "0.0");
    assert.equal(formatRate(3.456), "3.5");
    assert.equal(formatRate(1234.56), "1235");
    assert.equal(formatRate(undefined), "?");
  });
});
