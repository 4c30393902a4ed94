/**
 * Splitting of inline commands (`SET k v` typed over telnet) into arguments,
 * following Redis's `sdssplitargs` exactly: blanks separate arguments; "double
 * quotes" take the escapes \n \r \t \b \a \\ \" and \xHH; 'single quotes' take
 * only \'; a closing quote must be followed by a blank or the end of the line;
 * a quote inside an unquoted word starts a quoted part of the same argument; a
 * NUL byte ends the line. An unterminated or badly closed quote makes the whole
 * line invalid (`undefined`), which the caller answers with "unbalanced quotes".
 */

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const VT = 0x0b;
const FF = 0x0c;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const BACKSLASH = 0x5c;

/** C's isspace(). */
function isSpace(c: number | undefined): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR || c === VT || c === FF;
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

const ESCAPES: Record<number, number> = { 110: LF, 114: CR, 116: TAB, 98: 0x08, 97: 0x07 };

/** Splits one inline line (without its line ending); `undefined` on unbalanced quotes. */
export function splitInlineArgs(input: Uint8Array): Buffer[] | undefined {
  const nul = input.indexOf(0);
  const line = nul >= 0 ? input.subarray(0, nul) : input;
  const at = (i: number): number | undefined => (i < line.length ? line[i] : undefined);
  const args: Buffer[] = [];
  let p = 0;
  for (;;) {
    while (p < line.length && isSpace(line[p])) p++;
    if (p >= line.length) return args;
    const current: number[] = [];
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      const c = at(p);
      if (inDouble) {
        if (
          c === BACKSLASH &&
          at(p + 1) === 0x78 &&
          hexValue(at(p + 2)) >= 0 &&
          hexValue(at(p + 3)) >= 0
        ) {
          current.push(hexValue(at(p + 2)) * 16 + hexValue(at(p + 3)));
          p += 3;
        } else if (c === BACKSLASH && at(p + 1) !== undefined) {
          p++;
          const e = at(p) as number;
          current.push(ESCAPES[e] ?? e);
        } else if (c === DQUOTE) {
          if (at(p + 1) !== undefined && !isSpace(at(p + 1))) return undefined;
          done = true;
        } else if (c === undefined) {
          return undefined;
        } else {
          current.push(c);
        }
      } else if (inSingle) {
        if (c === BACKSLASH && at(p + 1) === SQUOTE) {
          p++;
          current.push(SQUOTE);
        } else if (c === SQUOTE) {
          if (at(p + 1) !== undefined && !isSpace(at(p + 1))) return undefined;
          done = true;
        } else if (c === undefined) {
          return undefined;
        } else {
          current.push(c);
        }
      } else if (c === undefined || c === SPACE || c === LF || c === CR || c === TAB) {
        done = true;
      } else if (c === DQUOTE) {
        inDouble = true;
      } else if (c === SQUOTE) {
        inSingle = true;
      } else {
        current.push(c);
      }
      if (c !== undefined) p++;
    }
    args.push(Buffer.from(current));
  }
}
