/**
 * A store's identity: which format its bytes are in, which cluster and node it
 * belongs to, and when it was created. Written once, in the transaction that
 * creates the store, under the key `identity` of the `meta` sub-database, and
 * checked on every open: a store of another format version is refused rather
 * than misread (DATA_DIR), and a store without an identity is not a Tessera
 * store.
 */
import { type NodeId, nodeId, TesseraError } from "../lib/index.js";

/** The on-disk format this build reads and writes. Bump it with every incompatible change. */
export const STORE_FORMAT_VERSION = 3;

/** The key of the identity record in the `meta` sub-database. */
export const IDENTITY_KEY = "identity";

export interface StoreIdentity {
  readonly formatVersion: number;
  readonly clusterId: string;
  readonly nodeId: NodeId;
  readonly createdAtMs: number;
}

export function encodeIdentity(id: StoreIdentity): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(id));
}

/** Parses and checks a stored identity; `where` names the store in errors. */
export function decodeIdentity(bytes: Uint8Array, where: string): StoreIdentity {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    throw new TesseraError("DATA_DIR", `${where}: the store identity is unreadable`);
  }
  const { formatVersion, clusterId, nodeId: node, createdAtMs } = raw;
  if (typeof formatVersion !== "number") {
    throw new TesseraError("DATA_DIR", `${where}: the store identity has no format version`);
  }
  if (formatVersion !== STORE_FORMAT_VERSION) {
    const which = formatVersion > STORE_FORMAT_VERSION ? "a newer" : "an older";
    throw new TesseraError(
      "DATA_DIR",
      `${where}: the store has format version ${formatVersion}, ${which} format than this Tessera reads (${STORE_FORMAT_VERSION})`,
      { formatVersion, expected: STORE_FORMAT_VERSION },
    );
  }
  if (
    typeof clusterId !== "string" ||
    typeof node !== "number" ||
    !Number.isSafeInteger(node) ||
    node <= 0 ||
    typeof createdAtMs !== "number"
  ) {
    throw new TesseraError("DATA_DIR", `${where}: the store identity is incomplete`);
  }
  return { formatVersion, clusterId, nodeId: nodeId(node), createdAtMs };
}
