/**
 * The incremental request parser: bytes from a socket in, commands (arrays of
 * binary-safe arguments) out, one at a time, however the stream was split into
 * chunks. It follows Redis's `processMultibulkBuffer`/`processInlineBuffer`
 * (networking.c) byte for byte, including its leniencies (the two bytes after a
 * bulk are skipped unchecked) and its error texts, so a client sees the same
 * `-ERR Protocol error: …` Redis would send before it closes the connection.
 *
 * A request starting with `*` is a multibulk (`*N\r\n$len\r\n<bytes>\r\n…`); any
 * other is an inline command line split by `splitInlineArgs`. `*0` and `*-1`
 * are empty requests and are skipped, as are blank inline lines.
 *
 * Every limit is enforced: a bulk longer than `respBulkBytesMax`, an array longer
 * than `respArrayLengthMax`, an inline line or a length header longer than
 * `respInlineBytesMax` are protocol errors; more than `queryBufferBytesMax` bytes
 * held for one unfinished request is LIMIT_EXCEEDED. Until a client has
 * authenticated (when a password is required) arrays are capped at 10 elements
 * and bulks at 16 KiB, as Redis does. After an error the parser is dead.
 */
import { TesseraError } from "../../lib/index.js";
import { splitInlineArgs } from "./inline.js";

export interface ParserLimits {
  readonly respBulkBytesMax: number;
  readonly respArrayLengthMax: number;
  readonly respInlineBytesMax: number;
  readonly queryBufferBytesMax: number;
}

/** Redis's caps for a client that still has to authenticate. */
export const UNAUTHENTICATED_ARRAY_LENGTH_MAX = 10;
export const UNAUTHENTICATED_BULK_BYTES_MAX = 16 * 1024;
/**
 * Bulks at least this long are collected as the chunks that carry them and
 * joined once complete (Redis PROTO_MBULK_BIG_ARG), so a long value is not
 * re-copied as every chunk arrives, and memory follows the bytes received,
 * never the length a client merely announces.
 */
const BIG_BULK_BYTES_MIN = 32 * 1024;
/** Redis refuses counts above INT_MAX whatever the configured limits. */
const INT_MAX = 2 ** 31 - 1;

const CR = 0x0d;
const LF = 0x0a;
const STAR = 0x2a;
const DOLLAR = 0x24;
const EMPTY = Buffer.alloc(0);

/** A parsed request; `inline` tells a telnet-style line from a multibulk. */
export interface ParsedRequest {
  readonly args: Buffer[];
  readonly inline: boolean;
}

function protocolError(what: string): TesseraError {
  return new TesseraError("PROTOCOL", what);
}

/**
 * Redis's string2ll: an optional '-', then digits without leading zeros ("0"
 * alone is fine), within the signed 64-bit range. `undefined` when invalid.
 */
export function parseStrictInteger(
  buf: Uint8Array,
  start: number,
  end: number,
): number | undefined {
  const len = end - start;
  if (len <= 0 || len > 20) return undefined;
  let p = start;
  let negative = false;
  if (buf[p] === 0x30) return len === 1 ? 0 : undefined;
  if (buf[p] === 0x2d) {
    negative = true;
    p++;
    if (p === end) return undefined;
  }
  const first = buf[p] as number;
  if (first < 0x31 || first > 0x39) return undefined;
  let value = 0;
  for (; p < end; p++) {
    const c = buf[p] as number;
    if (c < 0x30 || c > 0x39) return undefined;
    value = value * 10 + (c - 0x30);
  }
  // Values beyond 2^53 lose precision but stay far above every limit checked here.
  if (value > 9.3e18) return undefined;
  return negative ? -value : value;
}

export class RequestParser {
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** Elements still expected in the current multibulk; 0 between requests. */
  private argsLeft = 0;
  private args: Buffer[] = [];
  private argsBytes = 0;
  /** Length of the bulk being read, or -1 while its `$len` header is awaited. */
  private bulkLen = -1;
  /** The chunks of a big bulk being received, and how many of its bytes they hold. */
  private bigParts: Buffer[] | undefined;
  private bigBulkFilled = 0;
  /** The CRLF after a big bulk, still to skip. */
  private crlfLeft = 0;
  private failed = false;
  /** Whether the client may send requests of any size (see UNAUTHENTICATED_*). */
  authenticated = true;

  constructor(private readonly limits: ParserLimits) {}

  /** Bytes received and not yet handed out as part of a request. */
  get bufferedBytes(): number {
    return this.buf.length - this.pos + this.argsBytes + this.bigBulkFilled;
  }

  /** Adds bytes from the socket. Throws LIMIT_EXCEEDED past `queryBufferBytesMax`. */
  push(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    if (this.bigParts !== undefined && this.pos >= this.buf.length) {
      const n = Math.min(chunk.length, this.bulkLen - this.bigBulkFilled);
      if (n > 0) this.bigParts.push(chunk.subarray(0, n));
      this.bigBulkFilled += n;
      chunk = chunk.subarray(n);
    }
    if (chunk.length > 0) {
      this.buf =
        this.pos >= this.buf.length ? chunk : Buffer.concat([this.buf.subarray(this.pos), chunk]);
      this.pos = 0;
    }
    if (this.bufferedBytes > this.limits.queryBufferBytesMax) {
      this.failed = true;
      throw new TesseraError(
        "LIMIT_EXCEEDED",
        "query buffer limit reached (client-query-buffer-limit)",
      );
    }
  }

  /**
   * The next complete request, or `undefined` when more bytes are needed.
   * Throws a PROTOCOL TesseraError for malformed input; the parser is dead after.
   */
  next(): ParsedRequest | undefined {
    if (this.failed) return undefined;
    try {
      for (;;) {
        if (this.argsLeft === 0) {
          if (this.pos >= this.buf.length) return undefined;
          if (this.buf[this.pos] !== STAR) {
            const args = this.nextInline();
            if (args === undefined) return undefined;
            if (args.length > 0) return { args, inline: true };
            continue;
          }
          const count = this.readHeader("mbulk count", UNAUTHENTICATED_ARRAY_LENGTH_MAX);
          if (count === undefined) return undefined;
          if (count <= 0) continue;
          this.argsLeft = count;
        }
        if (!this.readBulk()) return undefined;
        if (this.argsLeft === 0) {
          const args = this.args;
          this.args = [];
          this.argsBytes = 0;
          return { args, inline: false };
        }
      }
    } catch (e) {
      this.failed = true;
      throw e;
    }
  }

  private nextInline(): Buffer[] | undefined {
    const nl = this.buf.indexOf(LF, this.pos);
    const max = this.limits.respInlineBytesMax;
    if (nl < 0) {
      if (this.buf.length - this.pos > max) throw protocolError("too big inline request");
      return undefined;
    }
    if (nl - this.pos > max) throw protocolError("too big inline request");
    let end = nl;
    if (end > this.pos && this.buf[end - 1] === CR) end--;
    const args = splitInlineArgs(this.buf.subarray(this.pos, end));
    this.pos = nl + 1;
    if (args === undefined) throw protocolError("unbalanced quotes in request");
    return args;
  }

  /**
   * Reads a `*N` or `$N` header line; `undefined` until it is complete. Redis
   * looks for the CR and then skips two bytes, whatever the second one is.
   */
  private readHeader(what: "mbulk count" | "bulk count", unauthMax: number): number | undefined {
    const cr = this.buf.indexOf(CR, this.pos);
    if (cr < 0 || cr + 1 >= this.buf.length) {
      if (this.buf.length - this.pos > this.limits.respInlineBytesMax) {
        throw protocolError(`too big ${what} string`);
      }
      return undefined;
    }
    if (what === "bulk count" && this.buf[this.pos] !== DOLLAR) {
      throw protocolError(
        `expected '$', got '${String.fromCharCode(this.buf[this.pos] as number)}'`,
      );
    }
    const n = parseStrictInteger(this.buf, this.pos + 1, cr);
    if (what === "mbulk count") {
      if (n === undefined || n > INT_MAX || n > this.limits.respArrayLengthMax) {
        throw protocolError("invalid multibulk length");
      }
      if (!this.authenticated && n > unauthMax)
        throw protocolError("unauthenticated multibulk length");
    } else {
      if (n === undefined || n < 0 || n > this.limits.respBulkBytesMax) {
        throw protocolError("invalid bulk length");
      }
      if (!this.authenticated && n > unauthMax) throw protocolError("unauthenticated bulk length");
    }
    this.pos = cr + 2;
    return n;
  }

  /** Reads one bulk of the current multibulk; false until it is complete. */
  private readBulk(): boolean {
    if (this.bigParts !== undefined) return this.finishBigBulk();
    if (this.bulkLen < 0) {
      const len = this.readHeader("bulk count", UNAUTHENTICATED_BULK_BYTES_MAX);
      if (len === undefined) return false;
      this.bulkLen = len;
    }
    const available = this.buf.length - this.pos;
    if (available >= this.bulkLen + 2) {
      const end = this.pos + this.bulkLen;
      this.takeArg(Buffer.from(this.buf.subarray(this.pos, end)));
      this.pos = end + 2;
      return true;
    }
    if (this.bulkLen >= BIG_BULK_BYTES_MIN) {
      this.bigParts = [];
      this.bigBulkFilled = 0;
      this.crlfLeft = 2;
      return this.finishBigBulk();
    }
    return false;
  }

  private finishBigBulk(): boolean {
    const parts = this.bigParts as Buffer[];
    if (this.bigBulkFilled < this.bulkLen) {
      const n = Math.min(this.buf.length - this.pos, this.bulkLen - this.bigBulkFilled);
      if (n > 0) parts.push(this.buf.subarray(this.pos, this.pos + n));
      this.bigBulkFilled += n;
      this.pos += n;
      if (this.bigBulkFilled < this.bulkLen) return false;
    }
    const skip = Math.min(this.crlfLeft, this.buf.length - this.pos);
    this.pos += skip;
    this.crlfLeft -= skip;
    if (this.crlfLeft > 0) return false;
    const arg = Buffer.concat(parts, this.bulkLen);
    this.bigParts = undefined;
    this.bigBulkFilled = 0;
    this.takeArg(arg);
    return true;
  }

  private takeArg(arg: Buffer): void {
    this.args.push(arg);
    this.argsBytes += arg.length;
    this.argsLeft--;
    this.bulkLen = -1;
  }
}
