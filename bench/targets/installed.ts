/**
 * Whether a command is installed (on PATH and executable).
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export function isInstalled(command: string): boolean {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // Not in this directory.
    }
  }
  return false;
}

/** null if every command is installed, else the skip reason naming the missing ones. */
export function missingCommands(commands: readonly string[], hint: string): string | null {
  const missing = commands.filter((command) => !isInstalled(command));
  return missing.length === 0 ? null : `${missing.join(", ")} not installed; ${hint}`;
}
