/**
 * Transcript tests of the Raft core: every script in `src/raft/testdata/*.txt`
 * runs through the interaction harness (src/raft/interaction) as one test, and
 * its full output must equal the output the script records.
 *
 * To regenerate the expected output after a deliberate change, run
 *   TESSERA_REWRITE=1 node scripts/test.mjs --no-coverage src/raft/interaction.test.ts
 * (or `node --import tsx src/raft/interaction.test.ts --rewrite`), then read
 * the diff: a golden file that records a bug is worse than none. A script
 * with a `# todo: <reason>` line documents a known bug of the core with the
 * correct expected output; it runs as a todo test and is never rewritten.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isTesseraError } from "../lib/index.js";
import { runInteraction } from "./interaction/index.js";
import { parseScript, renderScript } from "./interaction/script.js";

const TESTDATA = new URL("./testdata", import.meta.url).pathname;
const REWRITE = process.env.TESSERA_REWRITE === "1" || process.argv.includes("--rewrite");

const scripts = readdirSync(TESTDATA)
  .filter((name) => name.endsWith(".txt"))
  .sort();

describe("raft interaction scripts (testdata/*.txt)", () => {
  it("has scripts to run", () => {
    assert.ok(scripts.length > 0);
  });

  it("parses and renders a script back to the same text", () => {
    const text = [
      "# a comment",
      "",
      "cmd 1 a=(1, 2) b=x",
      "in",
      "----",
      "out",
      "",
      "other",
      "----",
      "----",
      "with",
      "",
      "blank",
      "",
      "----",
      "----",
      "",
      "empty",
      "----",
      "",
    ].join("\n");
    const script = parseScript(text);
    assert.equal(script.blocks.length, 3);
    assert.deepEqual(script.blocks[0]?.args, [
      { key: "1", values: [] },
      { key: "a", values: ["1", "2"] },
      { key: "b", values: ["x"] },
    ]);
    assert.equal(script.blocks[1]?.expected, "with\n\nblank");
    assert.equal(
      renderScript(
        script,
        script.blocks.map((b) => b.expected),
      ),
      text,
    );
  });

  it("refuses an unknown command or argument instead of ignoring it", () => {
    const isSyntax = (e: unknown): boolean => isTesseraError(e, "SYNTAX");
    assert.throws(() => runInteraction("no-such-verb 1\n----\n", "t"), isSyntax);
    assert.throws(() => runInteraction("add-nodes 1 votrs=(1)\n----\n", "t"), isSyntax);
    assert.throws(() => runInteraction("add-nodes 1\n", "t"), isSyntax);
  });

  it("reports the first block whose output differs, with its line", () => {
    const run = runInteraction("add-nodes 1 voters=(1)\n----\nwrong\n", "t");
    assert.equal(run.mismatches.length, 1);
    assert.equal(run.mismatches[0]?.line, 1);
    assert.match(run.actual, /INFO 1 started/);
  });

  for (const name of scripts) {
    const path = join(TESTDATA, name);
    const text = readFileSync(path, "utf8");
    // A script that records the correct behaviour of a known core bug runs as a
    // `todo`: its failure is reported but does not fail the suite, and it is
    // never rewritten, since its expected output was checked by hand.
    const todo = /^# todo: (.+)$/m.exec(text)?.[1];
    it(name, todo === undefined ? {} : { todo }, () => {
      const run = runInteraction(text, name);
      if (REWRITE && todo === undefined) {
        if (run.actual !== text) writeFileSync(path, run.actual);
        return;
      }
      const first = run.mismatches[0];
      if (first !== undefined) {
        assert.equal(
          first.actual,
          first.expected,
          `${name}:${first.line}: output of '${first.commandLine}' differs ` +
            `(${run.mismatches.length} block(s) differ; TESSERA_REWRITE=1 rewrites)`,
        );
      }
      assert.equal(run.actual, text);
    });
  }
});
