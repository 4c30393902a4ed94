/**
 * The text a scenario step prints, filtered by the script's log level.
 *
 * - `none`: steps that change the cluster print only `ok`; queries still print;
 * - `info`: Ready summaries, messages delivered and dropped, role changes;
 * - `debug`: also the per-step detail lines of the harness (progress of each
 *   peer after a step, for example).
 *
 * Nesting (`> 1 handling Ready` and the lines under it) is done with
 * `indent()`, so every printer writes flat lines and the transcript stays
 * aligned however deep a step goes.
 */
export type LogLevel = "none" | "info" | "debug";
export const LOG_LEVELS: readonly LogLevel[] = ["none", "info", "debug"];

const RANK: Record<LogLevel, number> = { none: 0, info: 1, debug: 2 };

export class Output {
  private lines: string[] = [];
  private depth = 0;
  level: LogLevel = "info";

  /** A line printed whatever the level (query results). */
  always(line: string): void {
    for (const l of line.split("\n")) this.lines.push(`${"  ".repeat(this.depth)}${l}`);
  }

  info(line: string): void {
    if (RANK[this.level] >= RANK.info) this.always(line);
  }

  debug(line: string): void {
    if (RANK[this.level] >= RANK.debug) this.always(line);
  }

  /** Runs `body` with every line it prints indented one step further. */
  indent<T>(body: () => T): T {
    this.depth++;
    try {
      return body();
    } finally {
      this.depth--;
    }
  }

  /** Takes what was printed since the last take; `ok` if nothing was. */
  take(): string {
    const text = this.lines.length === 0 ? "ok" : this.lines.join("\n");
    this.lines = [];
    this.depth = 0;
    return text;
  }
}
