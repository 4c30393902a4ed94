/**
 * Redis glob-style pattern matching on bytes, a port of Redis's
 * `stringmatchlen` (util.c, Redis 7) with `nocase` off:
 *
 *   *        any run of bytes (including none)
 *   ?        exactly one byte
 *   [abc]    one of the listed bytes; [^abc] none of them; [a-z] a range
 *            (ends may be given in either order); `\` escapes inside a class;
 *            an unterminated class runs to the end of the pattern
 *   \x       the byte x literally
 *
 * Like Redis, a `*` that finds no match for the rest of the pattern anywhere
 * later in the string stops the whole search (`skipLongerMatches`), and
 * recursion deeper than 1000 nested `*` fails the match, so a hostile pattern
 * costs polynomial, not exponential, time. Class ranges compare bytes as C's
 * signed `char` does on x86, so a range that crosses 0x7f/0x80 behaves as in
 * Redis. Note: like `stringmatchlen`, an empty string matches nothing, not
 * even "*"; callers that want Redis's "* matches every key" shortcut (KEYS,
 * SCAN) check for the pattern "*" themselves (see `isMatchAll`).
 */

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const CARET = 0x5e;
const BACKSLASH = 0x5c;
const DASH = 0x2d;

/** Recursion depth at which a match gives up (Redis's nesting limit). */
export const GLOB_NESTING_MAX = 1000;

function signedChar(b: number): number {
  return b > 127 ? b - 256 : b;
}

interface MatchState {
  skipLongerMatches: boolean;
}

function matchImpl(
  pattern: Uint8Array,
  p: number,
  str: Uint8Array,
  s: number,
  state: MatchState,
  nesting: number,
): boolean {
  if (nesting > GLOB_NESTING_MAX) return false;
  const pEnd = pattern.length;
  const sEnd = str.length;
  while (p < pEnd && s < sEnd) {
    const c = pattern[p] as number;
    if (c === STAR) {
      while (p + 1 < pEnd && pattern[p + 1] === STAR) p++;
      if (p + 1 === pEnd) return true;
      while (s < sEnd) {
        if (matchImpl(pattern, p + 1, str, s, state, nesting + 1)) return true;
        if (state.skipLongerMatches) return false;
        s++;
      }
      state.skipLongerMatches = true;
      return false;
    }
    if (c === QUESTION) {
      s++;
    } else if (c === OPEN) {
      p++;
      const not = p < pEnd && pattern[p] === CARET;
      if (not) p++;
      let match = false;
      const sc = str[s] as number;
      for (;;) {
        if (p < pEnd && pattern[p] === BACKSLASH && pEnd - p >= 2) {
          p++;
          if (pattern[p] === sc) match = true;
        } else if (p < pEnd && pattern[p] === CLOSE) {
          break;
        } else if (p >= pEnd) {
          // Unterminated class: step back so the shared advance below ends the pattern.
          p--;
          break;
        } else if (pEnd - p >= 3 && pattern[p + 1] === DASH) {
          let start = signedChar(pattern[p] as number);
          let end = signedChar(pattern[p + 2] as number);
          if (start > end) [start, end] = [end, start];
          const sv = signedChar(sc);
          p += 2;
          if (sv >= start && sv <= end) match = true;
        } else if (pattern[p] === sc) {
          match = true;
        }
        p++;
      }
      if (not) match = !match;
      if (!match) return false;
      s++;
    } else {
      if (c === BACKSLASH && pEnd - p >= 2) p++;
      if (pattern[p] !== str[s]) return false;
      s++;
    }
    p++;
    if (s === sEnd) {
      while (p < pEnd && pattern[p] === STAR) p++;
      break;
    }
  }
  return p === pEnd && s === sEnd;
}

/** Whether `str` matches the Redis glob `pattern` (both bytes). */
export function globMatch(pattern: Uint8Array, str: Uint8Array): boolean {
  return matchImpl(pattern, 0, str, 0, { skipLongerMatches: false }, 0);
}

/** Whether `pattern` is exactly "*", which KEYS and SCAN treat as "every key". */
export function isMatchAll(pattern: Uint8Array): boolean {
  return pattern.length === 1 && pattern[0] === STAR;
}
