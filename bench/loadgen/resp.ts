/**
 * A tiny RESP2 codec for the load generator and the suite's control
 * connections: commands are encoded as arrays of bulk strings, and a streaming
 * reader turns the bytes a server sends into replies, whatever the chunk
 * boundaries (a reply split over two TCP reads waits for the rest). It knows
 * the five RESP2 types and the RESP3 null `_`; anything else is a protocol
 * error. Reply sizes are bounded so a confused peer cannot make it buffer
 * without limit.
 */

export type RespValue = string | number | Buffer | null | RespError | RespValue[];

/** An error reply (`-ERR …`, `-MOVED …`, `-LOADING …`). */
export class RespError {
  constructor(readonly message: string) {}
}

const CR = 0x0d;
const bulkBytesMax = 512 * 1024 * 1024;
const arrayLengthMax = 1024 * 1024;

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? Buffer.from(arg) : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** Not enough bytes yet for a whole reply. */
const INCOMPLETE = Symbol("incomplete");

interface Parsed {
  value: RespValue;
  next: number;
}

function lineEnd(buf: Buffer, from: number): number {
  const cr = buf.indexOf(CR, from);
  return cr === -1 || cr + 1 >= buf.length ? -1 : cr;
}

function parseAt(buf: Buffer, pos: number): Parsed | typeof INCOMPLETE {
  if (pos >= buf.length) return INCOMPLETE;
  const type = buf[pos];
  const end = lineEnd(buf, pos + 1);
  if (end === -1) return INCOMPLETE;
  const line = buf.toString("latin1", pos + 1, end);
  const after = end + 2;
  switch (type) {
    case 0x2b: // +
      return { value: line, next: after };
    case 0x2d: // -
      return { value: new RespError(line), next: after };
    case 0x3a: // :
      return { value: Number(line), next: after };
    case 0x5f: // _ (RESP3 null)
      return { value: null, next: after };
    case 0x24: {
      // $
      const length = Number(line);
      if (length === -1) return { value: null, next: after };
      if (!Number.isInteger(length) || length < 0 || length > bulkBytesMax) {
        throw new Error(`RESP: bad bulk length ${line}`);
      }
      if (after + length + 2 > buf.length) return INCOMPLETE;
      return { value: buf.subarray(after, after + length), next: after + length + 2 };
    }
    case 0x2a: {
      // *
      const count = Number(line);
      if (count === -1) return { value: null, next: after };
      if (!Number.isInteger(count) || count < 0 || count > arrayLengthMax) {
        throw new Error(`RESP: bad array length ${line}`);
      }
      const items: RespValue[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parseAt(buf, next);
        if (item === INCOMPLETE) return INCOMPLETE;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`RESP: unexpected type byte 0x${(type ?? 0).toString(16)}`);
  }
}

/**
 * Streaming reply reader. `feed` each chunk as it arrives; `onReply` is called
 * once per complete reply, in order. Bulk replies are views into the received
 * bytes, valid until the next `feed`.
 */
export class ReplyReader {
  private pending: Buffer | null = null;

  constructor(private readonly onReply: (value: RespValue) => void) {}

  feed(chunk: Buffer): void {
    let buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    let pos = 0;
    while (pos < buf.length) {
      const parsed = parseAt(buf, pos);
      if (parsed === INCOMPLETE) break;
      pos = parsed.next;
      this.onReply(parsed.value);
    }
    if (pos < buf.length) {
      buf = buf.subarray(pos);
      if (buf.length > bulkBytesMax) throw new Error("RESP: reply larger than the limit");
      // Copy so the (possibly large) chunk the remainder came from can be freed.
      this.pending = Buffer.from(buf);
    }
  }
}

/** Renders a reply for messages and logs. */
export function describeReply(value: RespValue): string {
  if (value instanceof RespError) return `-${value.message}`;
  if (Buffer.isBuffer(value)) return JSON.stringify(value.toString("utf8").slice(0, 80));
  if (Array.isArray(value)) return `[${value.map(describeReply).join(", ")}]`;
  return String(value);
}
