/**
 * Checks on the directories a store lives in: each must be a directory this
 * process can read and write; every failure is a DATA_DIR error that says
 * what is wrong.
 */
import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { TesseraError } from "../lib/index.js";

export function dataDirError(dir: string, why: string, cause?: unknown): TesseraError {
  const detail = cause instanceof Error ? `: ${cause.message}` : "";
  return new TesseraError("DATA_DIR", `data directory ${dir}: ${why}${detail}`);
}

/** Creates `dir` when absent; checks it is a readable, writable directory. */
export function ensureDir(dir: string): void {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw dataDirError(dir, `cannot be read (${code})`);
  }
  if (st && !st.isDirectory()) throw dataDirError(dir, "exists and is not a directory");
  if (!st) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw dataDirError(dir, `cannot be created (${(e as NodeJS.ErrnoException).code})`);
    }
  }
  try {
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch {
    throw dataDirError(dir, "is not readable and writable by this process");
  }
}
