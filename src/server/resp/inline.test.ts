import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { splitInlineArgs } from "./inline.js";

const split = (line: string): string[] | undefined =>
  splitInlineArgs(Buffer.from(line, "latin1"))?.map((a) => a.toString("latin1"));

describe("splitInlineArgs (Redis sdssplitargs)", () => {
  it("splits on runs of blanks", () => {
    assert.deepEqual(split("  SET\tk   v  "), ["SET", "k", "v"]);
  });

  it("returns no arguments for a blank line", () => {
    assert.deepEqual(split("   "), []);
  });

  it("reads double-quoted escapes", () => {
    assert.deepEqual(split('"a\\nb" "\\x41\\x4a" "q\\"" "\\t\\r\\a\\b\\\\"'), [
      "a\nb",
      "AJ",
      'q"',
      "\t\r\x07\b\\",
    ]);
  });

  it("leaves a malformed \\x escape as the letter", () => {
    assert.deepEqual(split('"\\xZZ"'), ["xZZ"]);
  });

  it("reads single quotes with only \\' as an escape", () => {
    assert.deepEqual(split("'a\\'b' 'c\\nd'"), ["a'b", "c\\nd"]);
  });

  it("joins a quoted part into the word it starts in", () => {
    assert.deepEqual(split('ab"c d"'), ["abc d"]);
  });

  it("keeps empty quoted arguments", () => {
    assert.deepEqual(split('SET k ""'), ["SET", "k", ""]);
  });

  it("refuses unterminated quotes and a closing quote followed by a non-blank", () => {
    assert.equal(split('"abc'), undefined);
    assert.equal(split("'abc"), undefined);
    assert.equal(split('"a"b'), undefined);
    assert.equal(split("'a'b"), undefined);
  });

  it("ends the line at a NUL byte, as C strings do", () => {
    assert.deepEqual(split("GET a\0b c"), ["GET", "a"]);
  });
});
