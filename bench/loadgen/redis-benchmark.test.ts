import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRedisBenchmarkCsv } from "./redis-benchmark.js";

describe("redis-benchmark CSV", () => {
  it("parses the Redis 7 columns", () => {
    const rows = parseRedisBenchmarkCsv(
      [
        '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"',
        '"SET","87336.24","0.362","0.064","0.351","0.583","0.871","1.967"',
        '"GET","100000.00","0.274","0.072","0.231","0.431","1.343","2.055"',
      ].join("\n"),
    );
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0], {
      test: "SET",
      opsPerSec: 87336.24,
      avgMs: 0.362,
      minMs: 0.064,
      p50Ms: 0.351,
      p95Ms: 0.583,
      p99Ms: 0.871,
      maxMs: 1.967,
    });
  });

  it("rejects output without the latency columns", () => {
    assert.throws(() => parseRedisBenchmarkCsv('"test","rps"\n"SET","1"'));
  });
});
