/**
 * The commands of Tessera's key-value state machine: a closed union that is the
 * contract between the protocol layers (which parse client input into these),
 * the replication log (which carries write commands as entries) and the state
 * machine (which applies them, see apply.ts).
 *
 * Rules that keep apply deterministic on every replica:
 * - A write command carries everything apply needs. Relative expiries (EX, PX,
 *   EXPIRE) stay relative here and are resolved at apply time against the
 *   entry's stamp (`ApplyContext.nowMs`, chosen by the leader when it proposed),
 *   never against the applier's own clock.
 * - Commands are validated for syntax before they are proposed: a syntax error
 *   never reaches the log. Errors that depend on state (WRONGTYPE, not an
 *   integer) are found at apply and returned as an error reply with no writes.
 * - Keys and values are bytes (binary safe). Integers that Redis keeps as signed
 *   64-bit are `bigint`.
 */
import type { KeyspaceId } from "../lib/index.js";

export type Bytes = Uint8Array;

/** When a key expires, as a write asks for it. */
export type ExpirySpec =
  | { readonly kind: "none" } // no expiry: clears any previous TTL (plain SET)
  | { readonly kind: "keep" } // keep the key's current TTL (SET … KEEPTTL)
  | { readonly kind: "persist" } // remove the TTL (GETEX … PERSIST)
  | { readonly kind: "in"; readonly ms: number } // relative to the entry's stamp (EX, PX)
  | { readonly kind: "at"; readonly atMs: number }; // absolute Unix ms (EXAT, PXAT)

/** EXPIRE's NX | XX | GT | LT option. */
export type ExpireCondition = "always" | "nx" | "xx" | "gt" | "lt";

export type WriteCommand =
  | {
      readonly op: "set";
      readonly ks: KeyspaceId;
      readonly key: Bytes;
      readonly value: Bytes;
      readonly expiry: ExpirySpec;
      readonly cond: "always" | "nx" | "xx";
      /** SET … GET / GETSET: reply with the old value (or nil) instead of OK. */
      readonly get: boolean;
    }
  | {
      readonly op: "mset";
      readonly ks: KeyspaceId;
      readonly pairs: readonly (readonly [Bytes, Bytes])[];
      readonly nx: boolean;
    }
  | { readonly op: "del"; readonly ks: KeyspaceId; readonly keys: readonly Bytes[] }
  | { readonly op: "getdel"; readonly ks: KeyspaceId; readonly key: Bytes }
  | {
      readonly op: "getex";
      readonly ks: KeyspaceId;
      readonly key: Bytes;
      readonly expiry: ExpirySpec;
    }
  | { readonly op: "incrby"; readonly ks: KeyspaceId; readonly key: Bytes; readonly delta: bigint }
  | {
      readonly op: "incrbyfloat";
      readonly ks: KeyspaceId;
      readonly key: Bytes;
      readonly delta: number;
    }
  | { readonly op: "append"; readonly ks: KeyspaceId; readonly key: Bytes; readonly value: Bytes }
  | {
      readonly op: "setrange";
      readonly ks: KeyspaceId;
      readonly key: Bytes;
      readonly offset: number;
      readonly value: Bytes;
    }
  | {
      readonly op: "rename";
      readonly ks: KeyspaceId;
      readonly src: Bytes;
      readonly dst: Bytes;
      readonly nx: boolean;
    }
  | {
      readonly op: "copy";
      readonly ks: KeyspaceId;
      readonly src: Bytes;
      readonly dst: Bytes;
      readonly dstKs: KeyspaceId;
      readonly replace: boolean;
    }
  | {
      readonly op: "expire";
      readonly ks: KeyspaceId;
      readonly key: Bytes;
      /** `in`: relative ms (EXPIRE/PEXPIRE); `at`: absolute Unix ms (EXPIREAT/PEXPIREAT). */
      readonly when:
        | { readonly kind: "in"; readonly ms: number }
        | { readonly kind: "at"; readonly atMs: number };
      readonly cond: ExpireCondition;
    }
  | { readonly op: "persist"; readonly ks: KeyspaceId; readonly key: Bytes }
  /** FLUSHDB (one keyspace) or FLUSHALL (`ks` undefined: every keyspace). */
  | { readonly op: "flush"; readonly ks: KeyspaceId | undefined }
  /**
   * Background deletion of expired keys, proposed by the leader. Each key is
   * deleted only if it is still expired at this entry's stamp (a later SET may
   * have revived it).
   */
  | { readonly op: "expire-due"; readonly ks: KeyspaceId; readonly keys: readonly Bytes[] };

export type ReadCommand =
  | { readonly op: "get"; readonly ks: KeyspaceId; readonly key: Bytes }
  | { readonly op: "mget"; readonly ks: KeyspaceId; readonly keys: readonly Bytes[] }
  | { readonly op: "exists"; readonly ks: KeyspaceId; readonly keys: readonly Bytes[] }
  /** TOUCH: counts existing keys (there is no LRU clock to update yet). */
  | { readonly op: "touch"; readonly ks: KeyspaceId; readonly keys: readonly Bytes[] }
  | { readonly op: "type"; readonly ks: KeyspaceId; readonly key: Bytes }
  | { readonly op: "strlen"; readonly ks: KeyspaceId; readonly key: Bytes }
  | {
      readonly op: "getrange";
      readonly ks: KeyspaceId;
      readonly key: Bytes;
      readonly start: number;
      readonly end: number;
    }
  /** TTL, PTTL, EXPIRETIME, PEXPIRETIME. */
  | {
      readonly op: "ttl";
      readonly ks: KeyspaceId;
      readonly key: Bytes;
      readonly form: "ttl" | "pttl" | "expiretime" | "pexpiretime";
    }
  | { readonly op: "keys"; readonly ks: KeyspaceId; readonly pattern: Bytes }
  | {
      readonly op: "scan";
      readonly ks: KeyspaceId;
      /** Opaque decimal cursor from the previous reply; "0" starts. */
      readonly cursor: string;
      readonly match: Bytes | undefined;
      readonly count: number;
      readonly type: string | undefined;
    }
  | { readonly op: "randomkey"; readonly ks: KeyspaceId; readonly seed: number }
  | { readonly op: "dbsize"; readonly ks: KeyspaceId };

export type KvCommand = WriteCommand | ReadCommand;

const WRITE_OPS: ReadonlySet<string> = new Set<WriteCommand["op"]>([
  "set",
  "mset",
  "del",
  "getdel",
  "getex",
  "incrby",
  "incrbyfloat",
  "append",
  "setrange",
  "rename",
  "copy",
  "expire",
  "persist",
  "flush",
  "expire-due",
]);

export function isWriteCommand(cmd: KvCommand): cmd is WriteCommand {
  return WRITE_OPS.has(cmd.op);
}
