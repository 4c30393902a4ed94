/**
 * Typed access to a script block's arguments. Every accessor checks what it
 * reads and reports a bad or unknown argument as a SYNTAX error naming the
 * block's line, so a typo in a script fails loudly instead of being ignored.
 */
import { TesseraError } from "../../lib/index.js";
import type { ScriptArg, ScriptBlock } from "./script.js";

export class BlockArgs {
  private readonly used = new Set<string>();

  constructor(private readonly block: ScriptBlock) {}

  private fail(what: string): never {
    throw new TesseraError("SYNTAX", `line ${this.block.line}: ${this.block.verb}: ${what}`);
  }

  private find(key: string): ScriptArg | undefined {
    this.used.add(key);
    return this.block.args.find((a) => a.key === key && a.values.length > 0);
  }

  private static toInt(text: string): number | undefined {
    return /^\d+$/.test(text) ? Number(text) : undefined;
  }

  /** Positional words (arguments without `=`), in order. */
  positional(): string[] {
    return this.block.args.filter((a) => a.values.length === 0).map((a) => a.key);
  }

  /** Positional arguments that must all be non-negative integers. */
  positionalInts(): number[] {
    return this.positional().map((w) => BlockArgs.toInt(w) ?? this.fail(`'${w}' is not a number`));
  }

  /** The n-th positional argument as an integer (required). */
  positionalInt(n: number, what: string): number {
    const word = this.positional()[n];
    if (word === undefined) this.fail(`missing ${what}`);
    return BlockArgs.toInt(word) ?? this.fail(`${what} '${word}' is not a number`);
  }

  has(key: string): boolean {
    return this.find(key) !== undefined;
  }

  int(key: string): number | undefined {
    const arg = this.find(key);
    if (arg === undefined) return undefined;
    const text = arg.values[0] as string;
    return BlockArgs.toInt(text) ?? this.fail(`${key}=${text} is not a number`);
  }

  intOr(key: string, fallback: number): number {
    return this.int(key) ?? fallback;
  }

  /** A required integer argument. */
  intReq(key: string): number {
    return this.int(key) ?? this.fail(`missing ${key}=`);
  }

  ints(key: string): number[] | undefined {
    const arg = this.find(key);
    if (arg === undefined) return undefined;
    return arg.values.map((v) => BlockArgs.toInt(v) ?? this.fail(`${key}: '${v}' is not a number`));
  }

  string(key: string): string | undefined {
    const arg = this.find(key);
    return arg === undefined ? undefined : arg.values.join(",");
  }

  strings(key: string): string[] | undefined {
    return this.find(key)?.values.slice();
  }

  bool(key: string, fallback = false): boolean {
    const text = this.string(key);
    if (text === undefined) return fallback;
    if (text === "true") return true;
    if (text === "false") return false;
    return this.fail(`${key}=${text} is not true or false`);
  }

  /** One of a closed set of words. */
  oneOf<T extends string>(key: string, choices: readonly T[], fallback: T): T {
    const text = this.string(key);
    if (text === undefined) return fallback;
    if ((choices as readonly string[]).includes(text)) return text as T;
    return this.fail(`${key}=${text} is not one of ${choices.join("|")}`);
  }

  /** Fails if the block carries a `key=` argument no accessor asked for. */
  checkAllUsed(): void {
    for (const arg of this.block.args) {
      if (arg.values.length > 0 && !this.used.has(arg.key))
        this.fail(`unknown argument ${arg.key}=`);
    }
  }
}
