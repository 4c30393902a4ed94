/**
 * The node's last known peers (id → bus address), kept in `<dataDir>/peers.json`
 * so a restarting node can reach its cluster even when it holds no replica
 * of the meta range (a spare, or a removed node that must be told so). The
 * node table in range 1 stays the truth; this file is only a way back in.
 * Written atomically (temporary file, then rename); a missing or unreadable
 * file is an empty list.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PeerAddress } from "../cluster/index.js";

const FILE_NAME = "peers.json";

export function loadPeers(dataDir: string): PeerAddress[] {
  try {
    const raw = JSON.parse(readFileSync(join(dataDir, FILE_NAME), "utf8")) as unknown;
    if (!Array.isArray(raw)) return [];
    return raw.filter(
      (p): p is PeerAddress =>
        typeof p === "object" &&
        p !== null &&
        Number.isSafeInteger((p as PeerAddress).id) &&
        typeof (p as PeerAddress).address === "string",
    );
  } catch {
    return [];
  }
}

export function savePeers(dataDir: string, peers: readonly PeerAddress[]): void {
  const path = join(dataDir, FILE_NAME);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(peers));
  renameSync(tmp, path);
}
