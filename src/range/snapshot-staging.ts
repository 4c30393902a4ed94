/**
 * Where a follower keeps a snapshot's stream while it arrives and until Raft
 * takes it: not in memory, since a range may hold gigabytes. A node keeps
 * them as files in its data directory (`FileSnapshotStaging`), the
 * simulator and unit tests in memory (`MemorySnapshotStaging`).
 *
 * A staged stream is scratch: it is neither synced nor kept across a
 * restart (the directory is emptied when the node starts); a snapshot cut
 * short is simply sent again. What makes an installed snapshot durable is the
 * store batch that writes it, which reads the stream back synchronously
 * (`read`), piece by piece.
 */
import { closeSync, mkdirSync, openSync, readSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { TesseraError } from "../lib/index.js";

/** Bytes read back at a time when a staged stream is installed. */
export const STAGED_READ_BYTES = 1024 * 1024;

export interface StagedSnapshot {
  /** Adds the next bytes of the stream. */
  append(bytes: Uint8Array): void;
  /** The stream so far, from its start, in pieces (synchronous: read inside a store write). */
  read(): Iterable<Uint8Array>;
  readonly bytes: number;
  /** Frees what the stream holds; it cannot be read after. Idempotent. */
  discard(): void;
}

export interface SnapshotStaging {
  /** A new, empty staged stream. */
  create(): StagedSnapshot;
  /** Streams created and not yet discarded. */
  readonly open: number;
}

export class MemorySnapshotStaging implements SnapshotStaging {
  open = 0;

  create(): StagedSnapshot {
    const parts: Uint8Array[] = [];
    let bytes = 0;
    let discarded = false;
    this.open++;
    const live = () => {
      if (discarded) throw new TesseraError("INTERNAL", "staged snapshot used after discard");
    };
    return {
      append: (b) => {
        live();
        parts.push(b.slice());
        bytes += b.byteLength;
      },
      read: () => {
        live();
        return parts;
      },
      get bytes() {
        return bytes;
      },
      discard: () => {
        if (discarded) return;
        discarded = true;
        parts.length = 0;
        this.open--;
      },
    };
  }
}

/**
 * One file per stream in `dir`, which is emptied first: nothing staged
 * before a restart is of use after it.
 */
export class FileSnapshotStaging implements SnapshotStaging {
  open = 0;
  private seq = 0;

  constructor(private readonly dir: string) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }

  create(): StagedSnapshot {
    const path = join(this.dir, `${process.pid}-${++this.seq}.stream`);
    let fd: number | undefined = openSync(path, "w+");
    let bytes = 0;
    this.open++;
    const live = (): number => {
      if (fd === undefined)
        throw new TesseraError("INTERNAL", "staged snapshot used after discard");
      return fd;
    };
    return {
      append: (b) => {
        const f = live();
        let at = 0;
        while (at < b.byteLength) at += writeSync(f, b, at, b.byteLength - at, bytes + at);
        bytes += b.byteLength;
      },
      read: () => {
        const f = live();
        const total = bytes;
        return (function* () {
          let at = 0;
          while (at < total) {
            const piece = new Uint8Array(Math.min(STAGED_READ_BYTES, total - at));
            let got = 0;
            while (got < piece.byteLength) {
              const n = readSync(f, piece, got, piece.byteLength - got, at + got);
              if (n === 0) throw new TesseraError("INTERNAL", `staged snapshot ${path} is short`);
              got += n;
            }
            at += got;
            yield piece;
          }
        })();
      },
      get bytes() {
        return bytes;
      },
      discard: () => {
        if (fd === undefined) return;
        closeSync(fd);
        fd = undefined;
        this.open--;
        try {
          unlinkSync(path);
        } catch {
          // Already gone: the directory is emptied at start anyway.
        }
      },
    };
  }
}
