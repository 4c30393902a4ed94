/**
 * The transcript format of Raft scenario scripts (`src/raft/testdata/*.txt`),
 * in the spirit of the datadriven files of etcd-io/raft's interaction tests.
 *
 * A script is a sequence of blocks. Each block is a command line
 * (`verb arg key=value key=(a,b) …`), optional input lines, a `----` line, the
 * expected output, and a blank line. Lines starting with `#` and blank lines
 * between blocks are commentary; they are kept verbatim when a script is
 * rewritten. Output that itself contains blank lines is written between two
 * `----` lines above and two below, so a blank line never ends it early.
 *
 * Parsing and rendering are exact inverses for a well-formed script: rendering
 * the parsed blocks with their own expected output gives back the same text.
 */
import { TesseraError } from "../../lib/index.js";

/** One `key=value` or `key=(v1,v2)` argument, or a bare positional word. */
export interface ScriptArg {
  /** The key, or the word itself for a positional argument. */
  readonly key: string;
  /** The values; empty for a positional argument. */
  readonly values: readonly string[];
}

export interface ScriptBlock {
  /** 1-based line number of the command line, for error messages. */
  readonly line: number;
  /** Commentary (comments, blank lines) that precedes the command, verbatim. */
  readonly preamble: readonly string[];
  /** The command line as written. */
  readonly commandLine: string;
  readonly verb: string;
  readonly args: readonly ScriptArg[];
  /** Input lines between the command line and `----`. */
  readonly input: readonly string[];
  /** The expected output as written in the script (no trailing newline). */
  readonly expected: string;
}

export interface Script {
  readonly blocks: readonly ScriptBlock[];
  /** Commentary after the last block, verbatim. */
  readonly trailer: readonly string[];
}

const SEPARATOR = "----";

function syntaxError(file: string, line: number, what: string): TesseraError {
  return new TesseraError("SYNTAX", `${file}:${line}: ${what}`);
}

function isCommentary(line: string): boolean {
  return line.trim() === "" || line.startsWith("#");
}

/** Splits a command line into its verb and arguments; `(…)` groups may hold spaces. */
export function parseCommandLine(
  text: string,
  file = "script",
  line = 0,
): {
  verb: string;
  args: ScriptArg[];
} {
  const words: string[] = [];
  let current = "";
  let depth = 0;
  for (const ch of text.trim()) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (depth < 0) throw syntaxError(file, line, `unbalanced ')' in '${text}'`);
    if (/\s/.test(ch) && depth === 0) {
      if (current !== "") words.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  if (depth !== 0) throw syntaxError(file, line, `unbalanced '(' in '${text}'`);
  if (current !== "") words.push(current);
  const [verb, ...rest] = words;
  if (verb === undefined) throw syntaxError(file, line, "empty command line");
  const args = rest.map((word): ScriptArg => {
    const eq = word.indexOf("=");
    if (eq < 0) return { key: word, values: [] };
    const key = word.slice(0, eq);
    let value = word.slice(eq + 1);
    if (value.startsWith("(") && value.endsWith(")")) {
      value = value.slice(1, -1);
      const values = value.trim() === "" ? [] : value.split(",").map((v) => v.trim());
      return { key, values };
    }
    return { key, values: [value] };
  });
  return { verb, args };
}

/** Parses a whole script. Throws a SYNTAX error naming the line on malformed input. */
export function parseScript(text: string, file = "script"): Script {
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const blocks: ScriptBlock[] = [];
  let i = 0;
  let preamble: string[] = [];
  while (i < lines.length) {
    const lineText = lines[i] as string;
    if (isCommentary(lineText)) {
      preamble.push(lineText);
      i++;
      continue;
    }
    const commandLine = lineText;
    const commandLineNo = i + 1;
    const { verb, args } = parseCommandLine(commandLine, file, commandLineNo);
    i++;
    const input: string[] = [];
    while (i < lines.length && lines[i] !== SEPARATOR) {
      input.push(lines[i] as string);
      i++;
    }
    if (i >= lines.length) throw syntaxError(file, commandLineNo, `'${verb}' has no '----' line`);
    i++;
    const output: string[] = [];
    if (lines[i] === SEPARATOR) {
      // Long form: output runs until a `----` `----` pair.
      i++;
      while (i < lines.length && !(lines[i] === SEPARATOR && lines[i + 1] === SEPARATOR)) {
        output.push(lines[i] as string);
        i++;
      }
      if (i >= lines.length)
        throw syntaxError(file, commandLineNo, "unterminated '----' '----' output");
      i += 2;
      // The long form's own final newline is part of the syntax, not the output.
      if (output.length > 0 && output[output.length - 1] === "") output.pop();
    } else {
      while (i < lines.length && (lines[i] as string) !== "") {
        output.push(lines[i] as string);
        i++;
      }
    }
    blocks.push({
      line: commandLineNo,
      preamble,
      commandLine,
      verb,
      args,
      input,
      expected: output.join("\n"),
    });
    preamble = [];
  }
  return { blocks, trailer: preamble };
}

/** Renders one block with the given output, in the short form unless the output needs the long one. */
export function renderBlock(block: ScriptBlock, output: string): string {
  const out: string[] = [...block.preamble, block.commandLine, ...block.input, SEPARATOR];
  const needsLongForm =
    output.split("\n").some((l) => l === "" || l === SEPARATOR) && output !== "";
  if (needsLongForm) {
    out.push(SEPARATOR, output, "", SEPARATOR, SEPARATOR);
  } else if (output !== "") {
    out.push(output);
  }
  return out.join("\n");
}

/** Renders a whole script with one output per block (in block order). */
export function renderScript(script: Script, outputs: readonly string[]): string {
  const parts = script.blocks.map((b, i) => renderBlock(b, outputs[i] ?? ""));
  const tail = script.trailer.length > 0 ? `\n${script.trailer.join("\n")}` : "";
  return `${parts.join("\n")}${tail}\n`;
}
