/**
 * The checker against histories with known answers (the fixtures of
 * /work/shared/fixtures/linearizability, see its README): every Jepsen etcd log
 * with an expected answer, and the kv/ histories, whose names say the answer.
 * Skipped, saying why, when the fixtures folder is absent.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { check } from "./index.js";
import { kvAppendModel } from "./models/kv-append.js";
import { registerModel } from "./models/register.js";
import { parseEdnKvHistory } from "./parse/edn-kv.js";
import { parseJepsenLog } from "./parse/jepsen-log.js";
import { formatResult } from "./report.js";

const FIXTURES = fileURLToPath(
  new URL("../../../shared/fixtures/linearizability/", import.meta.url),
);
const present = existsSync(FIXTURES);
const skip = present ? false : `fixtures folder absent: ${FIXTURES}`;
/** Generous: the whole suite takes a few seconds; this only turns a hang into "unknown". */
const BUDGET_MS = 60_000;

type Answer = "linearizable" | "not-linearizable";

function expectedAnswers(): Map<string, Answer> {
  if (!present) return new Map();
  const rows = readFileSync(`${FIXTURES}jepsen/EXPECTED.tsv`, "utf8").trim().split("\n");
  return new Map(rows.map((row) => row.split("\t") as [string, Answer]));
}

function answerOf(outcome: "ok" | "illegal" | "unknown"): string {
  return outcome === "ok" ? "linearizable" : outcome === "illegal" ? "not-linearizable" : "unknown";
}

let suiteMs = 0;
after(() => {
  if (present) console.log(`lincheck fixtures: all files checked in ${suiteMs.toFixed(0)} ms`);
});

describe("Jepsen etcd fixtures (register model)", { skip }, () => {
  const expected = expectedAnswers();
  const logs = present ? readdirSync(`${FIXTURES}jepsen`).filter((f) => f.endsWith(".log")) : [];

  it("has an expected answer for every log but etcd_095", () => {
    assert.deepEqual(
      logs.filter((f) => !expected.has(f)),
      ["etcd_095.log"],
    );
    assert.equal(expected.size, 102);
  });

  for (const file of [...expected.keys()].sort()) {
    it(`${file} is ${expected.get(file)}`, () => {
      const started = performance.now();
      const history = parseJepsenLog(readFileSync(`${FIXTURES}jepsen/${file}`, "utf8"));
      const result = check(registerModel, history, { budgetMs: BUDGET_MS, shrinkStepsMax: 0 });
      suiteMs += performance.now() - started;
      assert.equal(
        answerOf(result.outcome),
        expected.get(file),
        `${file}: ${formatResult(registerModel, result)}`,
      );
    });
  }
});

describe("kv fixtures (kv-append model, partitioned by key)", { skip }, () => {
  const files = present
    ? readdirSync(`${FIXTURES}kv`)
        .filter((f) => f.endsWith(".txt"))
        .sort()
    : [];

  it("has the six kv histories", () => {
    assert.equal(files.length, 6);
  });

  for (const file of files) {
    const want: Answer = file.endsWith("-ok.txt") ? "linearizable" : "not-linearizable";
    it(`${file} is ${want}`, () => {
      const started = performance.now();
      const history = parseEdnKvHistory(readFileSync(`${FIXTURES}kv/${file}`, "utf8"));
      const result = check(kvAppendModel, history, { budgetMs: BUDGET_MS, shrinkStepsMax: 0 });
      suiteMs += performance.now() - started;
      assert.equal(
        answerOf(result.outcome),
        want,
        `${file}: ${formatResult(kvAppendModel, result)}`,
      );
    });
  }
});
