/**
 * The data directory lock: one Tessera process owns a data directory at a time.
 *
 * The lock is a file, `<dataDir>/LOCK`, created with an exclusive open (`wx`)
 * and holding the owner's pid and, on Linux, the owner's start time in clock
 * ticks (field 22 of /proc/<pid>/stat). A lock whose owner is gone — killed
 * with SIGKILL, say, so it never removed the file — is stale and is taken
 * over: its pid no longer exists, or the pid now belongs to a process that
 * started at another time (the pid was reused). A live owner makes the
 * directory unusable (DATA_DIR).
 *
 * Invariant: while a `DirLock` is held, its file names this process; release
 * removes the file only if it still does.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { TesseraError } from "../lib/index.js";

export const LOCK_FILE_NAME = "LOCK";

interface LockOwner {
  readonly pid: number;
  /** Process start time in clock ticks since boot (Linux), or 0 when unknown. */
  readonly startTicks: number;
}

export class DirLock {
  private released = false;
  private constructor(
    readonly path: string,
    private readonly owner: LockOwner,
  ) {}

  /** Takes the lock of `dir`, taking over a stale one; throws DATA_DIR when a live process holds it. */
  static acquire(dir: string): DirLock {
    const path = join(dir, LOCK_FILE_NAME);
    const me: LockOwner = { pid: process.pid, startTicks: processStartTicks(process.pid) };
    // Two rounds: the second follows the removal of a stale lock.
    for (let attempt = 0; attempt < 3; attempt++) {
      let fd: number;
      try {
        fd = openSync(path, "wx", 0o644);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== "EEXIST") throw dataDirError(dir, `cannot create lock file: ${code}`);
        const holder = readOwner(path);
        if (holder !== undefined && isAlive(holder)) {
          throw new TesseraError(
            "DATA_DIR",
            `data directory ${dir} is in use by another Tessera process (pid ${holder.pid})`,
            { pid: holder.pid },
          );
        }
        removeQuietly(path);
        continue;
      }
      try {
        writeSync(fd, `${JSON.stringify(me)}\n`);
      } finally {
        closeSync(fd);
      }
      return new DirLock(path, me);
    }
    throw dataDirError(dir, "could not take over a stale lock file");
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    const holder = readOwner(this.path);
    if (holder?.pid === this.owner.pid) removeQuietly(this.path);
  }
}

function dataDirError(dir: string, why: string): TesseraError {
  return new TesseraError("DATA_DIR", `data directory ${dir}: ${why}`);
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const { pid, startTicks } = parsed as Record<string, unknown>;
    if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
    return { pid, startTicks: typeof startTicks === "number" ? startTicks : 0 };
  } catch {
    // Unreadable or half-written (the owner died between create and write): stale.
    return undefined;
  }
}

function isAlive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    // EPERM: the pid exists but belongs to another user; treat it as alive.
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (owner.startTicks === 0) return true;
  const now = processStartTicks(owner.pid);
  return now === 0 || now === owner.startTicks;
}

/** The start time of `pid` in clock ticks since boot, or 0 where /proc is absent. */
function processStartTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces; fields after it follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[19]);
    return Number.isSafeInteger(ticks) ? ticks : 0;
  } catch {
    return 0;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone: another process took it over or released it first.
  }
}
