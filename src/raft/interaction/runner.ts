/**
 * Runs a scenario script through an interpreter and compares what each block
 * prints with what the script expects. Pure: text in, text out. The test file
 * that drives it (`src/raft/interaction.test.ts`) owns the file system and the
 * rewrite flag: it writes `actual` back when asked to, and otherwise fails on
 * the first mismatch, naming its line.
 */
import { parseScript, renderScript, type Script, type ScriptBlock } from "./script.js";

/** Executes one block and returns what it prints (no trailing newline). */
export type BlockExecutor = (block: ScriptBlock) => string;

export interface Mismatch {
  readonly line: number;
  readonly commandLine: string;
  readonly expected: string;
  readonly actual: string;
}

export interface ScriptRun {
  readonly script: Script;
  /** The script re-rendered with the actual output of every block. */
  readonly actual: string;
  readonly mismatches: readonly Mismatch[];
}

/**
 * Parses `text` and runs every block through `execute`, in order. A block that
 * throws stops the run: the error is rethrown with the block's line so a broken
 * invariant in the core points at the step of the scenario that exposed it.
 */
export function runScript(text: string, file: string, execute: BlockExecutor): ScriptRun {
  const script = parseScript(text, file);
  const outputs: string[] = [];
  const mismatches: Mismatch[] = [];
  for (const block of script.blocks) {
    let output: string;
    try {
      output = trimOutput(execute(block));
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      err.message = `${file}:${block.line}: '${block.commandLine}': ${err.message}`;
      throw err;
    }
    outputs.push(output);
    if (output !== block.expected) {
      mismatches.push({
        line: block.line,
        commandLine: block.commandLine,
        expected: block.expected,
        actual: output,
      });
    }
  }
  return { script, actual: renderScript(script, outputs), mismatches };
}

/** Drops trailing whitespace on every line and trailing empty lines, so output compares stably. */
function trimOutput(output: string): string {
  return output
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")
    .replace(/\n+$/, "");
}
