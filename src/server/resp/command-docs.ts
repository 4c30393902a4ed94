/**
 * Command documentation from the table's syntax notation: the argument trees
 * COMMAND DOCS returns (Redis 7's shape: name, type, token, flags, nested
 * arguments, which redis-cli turns into its typing hints) and the one-line
 * usage `tessera cli` help prints.
 *
 * Notation: UPPERCASE words and "quoted" words are tokens; other words are
 * arguments, `name:type` unless a string; `[…]` optional; `(…)` a group;
 * `a|b` alternatives (a `oneof`); `...` after an element repeats it. A token
 * directly followed by an argument or a group (`EX seconds`) is its token.
 */
import { assert } from "../../lib/index.js";

export type ArgType =
  | "string"
  | "integer"
  | "double"
  | "key"
  | "pattern"
  | "unix-time"
  | "pure-token"
  | "oneof"
  | "block";

export interface ArgDoc {
  readonly name: string;
  readonly type: ArgType;
  readonly token?: string;
  readonly optional: boolean;
  readonly multiple: boolean;
  readonly arguments?: readonly ArgDoc[];
}

const ARG_TYPES: ReadonlySet<string> = new Set([
  "string",
  "integer",
  "double",
  "key",
  "pattern",
  "unix-time",
]);
const PUNCTUATION: ReadonlySet<string> = new Set(["[", "]", "(", ")", "|", "..."]);

function tokenize(syntax: string): string[] {
  const out: string[] = [];
  const re = /\s*(\.\.\.|[[\]()|]|"[^"]*"|[^\s[\]()|"]+)/y;
  for (let m = re.exec(syntax); m !== null && m[0].length > 0; m = re.exec(syntax))
    out.push(m[1] as string);
  return out;
}

function isTokenWord(w: string): boolean {
  return w.startsWith('"') || (/[A-Z]/.test(w) && w === w.toUpperCase());
}

function argument(word: string): ArgDoc {
  const [name, type = "string"] = word.split(":") as [string, string?];
  assert(ARG_TYPES.has(type), `unknown argument type ${type} in command syntax`);
  return { name, type: type as ArgType, optional: false, multiple: false };
}

function sequence(items: ArgDoc[]): ArgDoc {
  if (items.length === 1) return items[0] as ArgDoc;
  const name = items.map((a) => a.name).join("-");
  return { name, type: "block", optional: false, multiple: false, arguments: items };
}

function group(alternatives: ArgDoc[][]): ArgDoc {
  if (alternatives.length === 1) return sequence(alternatives[0] as ArgDoc[]);
  const options = alternatives.map(sequence);
  const name = options.map((a) => a.name).join("-");
  return { name, type: "oneof", optional: false, multiple: false, arguments: options };
}

class SyntaxReader {
  private i = 0;
  constructor(private readonly words: string[]) {}

  /** Alternatives (each a sequence of elements) up to `close`, or to the end. */
  readAlternatives(close: string | undefined): ArgDoc[][] {
    const alternatives: ArgDoc[][] = [[]];
    while (this.i < this.words.length) {
      const w = this.words[this.i] as string;
      if (w === close) {
        this.i++;
        return alternatives;
      }
      if (w === "|") {
        this.i++;
        alternatives.push([]);
        continue;
      }
      (alternatives[alternatives.length - 1] as ArgDoc[]).push(this.readElement());
    }
    assert(close === undefined, `unclosed '${close}' in command syntax`);
    return alternatives;
  }

  private readElement(): ArgDoc {
    const w = this.words[this.i++] as string;
    let doc: ArgDoc;
    if (w === "[" || w === "(") {
      doc = { ...group(this.readAlternatives(w === "[" ? "]" : ")")), optional: w === "[" };
    } else if (isTokenWord(w)) {
      const token = w.replace(/"/g, "");
      const next = this.words[this.i];
      if (next === "(") {
        doc = { ...this.readElement(), token };
      } else if (next !== undefined && !isTokenWord(next) && !PUNCTUATION.has(next)) {
        this.i++;
        doc = { ...argument(next), token };
      } else {
        doc = {
          name: token.toLowerCase(),
          type: "pure-token",
          token,
          optional: false,
          multiple: false,
        };
      }
    } else {
      doc = argument(w);
    }
    if (this.words[this.i] === "...") {
      this.i++;
      doc = { ...doc, multiple: true };
    }
    return doc;
  }
}

const cache = new Map<string, readonly ArgDoc[]>();

/** The argument trees of a syntax string (memoized: the table is static). */
export function parseSyntax(syntax: string): readonly ArgDoc[] {
  let docs = cache.get(syntax);
  if (docs === undefined) {
    const alts = new SyntaxReader(tokenize(syntax)).readAlternatives(undefined);
    docs = alts.length === 1 ? (alts[0] as ArgDoc[]) : [group(alts)];
    cache.set(syntax, docs);
  }
  return docs;
}

/** Renders argument trees as Redis documentation does: `key value [NX | XX]`. */
export function renderSyntax(docs: readonly ArgDoc[]): string {
  return docs.map(renderArg).join(" ");
}

function renderArg(d: ArgDoc): string {
  let s: string;
  if (d.type === "pure-token") s = d.token ?? d.name;
  else if (d.type === "oneof") s = (d.arguments ?? []).map(renderArg).join(" | ");
  else if (d.type === "block") s = (d.arguments ?? []).map(renderArg).join(" ");
  else s = d.name;
  if (d.type === "oneof" && !d.optional) s = `<${s}>`;
  if (d.token !== undefined && d.type !== "pure-token") s = `${d.token} ${s}`;
  if (d.multiple) s = `${s} [${s} ...]`;
  return d.optional ? `[${s}]` : s;
}
