/**
 * Tests of Redis glob matching, including stringmatchlen's corner cases.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromLatin1, utf8 } from "./bytes.js";
import { globMatch, isMatchAll } from "./glob.js";

const m = (pattern: string, s: string): boolean => globMatch(fromLatin1(pattern), fromLatin1(s));

describe("globMatch (Redis stringmatchlen)", () => {
  it("matches the examples of the KEYS documentation", () => {
    for (const s of ["hello", "hallo", "hxllo"]) assert.ok(m("h?llo", s));
    for (const s of ["hllo", "heeeello", "hello"]) assert.ok(m("h*llo", s));
    assert.ok(m("h[ae]llo", "hello") && m("h[ae]llo", "hallo") && !m("h[ae]llo", "hillo"));
    assert.ok(m("h[^e]llo", "hallo") && m("h[^e]llo", "hbllo") && !m("h[^e]llo", "hello"));
    assert.ok(m("h[a-b]llo", "hallo") && m("h[a-b]llo", "hbllo") && !m("h[a-b]llo", "hcllo"));
  });

  it("handles stars anywhere", () => {
    assert.ok(m("*", "abc"));
    assert.ok(m("**", "abc"));
    assert.ok(m("a*", "a"));
    assert.ok(m("*c", "abc"));
    assert.ok(m("a*b*c", "aXbYc"));
    assert.ok(!m("a*b*c", "aXbY"));
    assert.ok(m("*a*", "bab"));
    assert.ok(!m("a", "ab"));
    assert.ok(!m("ab", "a"));
  });

  it("matches nothing against the empty string, like stringmatchlen", () => {
    assert.ok(!m("*", ""));
    assert.ok(!m("", "a"));
    assert.ok(m("", ""));
    assert.ok(isMatchAll(utf8("*")) && !isMatchAll(utf8("**")));
  });

  it("escapes with a backslash, inside and outside classes", () => {
    assert.ok(m("a\\*b", "a*b"));
    assert.ok(!m("a\\*b", "axb"));
    assert.ok(m("a\\?", "a?") && !m("a\\?", "ab"));
    assert.ok(m("[\\]]", "]"));
    assert.ok(m("[\\-]", "-"));
    assert.ok(m("a\\", "a\\"));
  });

  it("takes range ends in either order, and the closing bracket as a range end", () => {
    assert.ok(m("[z-a]", "m"));
    // As in Redis, "[a-]" is the range a..] (0x5d..0x61) in an unterminated class.
    assert.ok(!m("[a-]", "-"));
    assert.ok(m("[a-]", "^"));
    assert.ok(m("[a-]", "a"));
    assert.ok(m("[-a]", "-"));
  });

  it("lets an unterminated class run to the end of the pattern", () => {
    assert.ok(m("[abc", "a"));
    assert.ok(!m("[abc", "d"));
    assert.ok(m("a[", "a") === false);
  });

  it("compares class ranges as signed chars, as Redis on x86", () => {
    // 0x80..0xff are negative as signed chars, so [a-\xff] spans -1..97.
    assert.ok(m("[a-\xff]", "\x00"));
    assert.ok(!m("[a-\xff]", "b"));
    assert.ok(m("\xe9", "\xe9"));
  });

  it("matches binary bytes and multi-byte UTF-8 bytewise", () => {
    assert.ok(globMatch(utf8("caf?"), utf8("cafe")));
    assert.ok(!globMatch(utf8("caf?"), utf8("café"))); // é is two bytes
    assert.ok(globMatch(utf8("caf??"), utf8("café")));
    assert.ok(globMatch(Uint8Array.of(0x2a, 0x00), Uint8Array.of(1, 2, 0)));
  });

  it("stays fast on patterns built to backtrack exponentially", () => {
    const pattern = `${"a*".repeat(30)}b`;
    const s = "a".repeat(60);
    const started = performance.now();
    assert.ok(!m(pattern, s));
    assert.ok(performance.now() - started < 1000);
  });

  it("gives up past the nesting limit", () => {
    const pattern = `${"*a".repeat(1100)}`;
    assert.ok(!m(pattern, "a".repeat(1100)));
    assert.ok(m("*a".repeat(500), "a".repeat(500)));
  });
});
