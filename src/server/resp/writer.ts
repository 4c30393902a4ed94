/**
 * The reply writer: encodes `Reply` values as RESP2 or RESP3 bytes and batches
 * them, so the replies of a whole pipeline leave in one socket write. ASCII
 * framing and text collect in a string; binary bulks are appended as they are,
 * never copied through a string. `take()` hands out everything written so far.
 */
import { assertNever } from "../../lib/index.js";
import type { Reply } from "./reply.js";

export type ProtocolVersion = 2 | 3;

/** Redis's %.17g rendering of a double, with inf/-inf/nan spelled as RESP3 wants. */
export function formatDouble(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Number.POSITIVE_INFINITY) return "inf";
  if (v === Number.NEGATIVE_INFINITY) return "-inf";
  return String(v);
}

export class ReplyWriter {
  private parts: Buffer[] = [];
  private text = "";
  private bytes = 0;

  /** Bytes written and not yet taken. */
  get pendingBytes(): number {
    return this.bytes + Buffer.byteLength(this.text);
  }

  write(reply: Reply, proto: ProtocolVersion): void {
    switch (reply.t) {
      case "simple":
        this.text += `+${reply.v}\r\n`;
        return;
      case "error":
        this.text += `-${reply.v}\r\n`;
        return;
      case "int":
        this.text += `:${reply.v}\r\n`;
        return;
      case "bulk":
        this.bulk(reply.v);
        return;
      case "null":
        this.text += proto === 3 ? "_\r\n" : "$-1\r\n";
        return;
      case "nullArray":
        this.text += proto === 3 ? "_\r\n" : "*-1\r\n";
        return;
      case "array":
        this.text += `*${reply.v.length}\r\n`;
        for (const r of reply.v) this.write(r, proto);
        return;
      case "set":
        this.text += `${proto === 3 ? "~" : "*"}${reply.v.length}\r\n`;
        for (const r of reply.v) this.write(r, proto);
        return;
      case "map":
        this.text += proto === 3 ? `%${reply.v.length}\r\n` : `*${reply.v.length * 2}\r\n`;
        for (const [k, v] of reply.v) {
          this.write(k, proto);
          this.write(v, proto);
        }
        return;
      case "double":
        if (proto === 3) this.text += `,${formatDouble(reply.v)}\r\n`;
        else this.bulk(formatDouble(reply.v));
        return;
      case "bool":
        this.text += proto === 3 ? (reply.v ? "#t\r\n" : "#f\r\n") : reply.v ? ":1\r\n" : ":0\r\n";
        return;
      case "verbatim":
        if (proto === 3)
          this.text += `=${Buffer.byteLength(reply.v) + 4}\r\n${reply.format}:${reply.v}\r\n`;
        else this.bulk(reply.v);
        return;
      default:
        assertNever(reply, "reply");
    }
  }

  /** Everything written since the last take, as one buffer. */
  take(): Buffer {
    this.flushText();
    const parts = this.parts;
    const out = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    this.parts = [];
    this.bytes = 0;
    return out;
  }

  private bulk(v: Uint8Array | string): void {
    if (typeof v === "string") {
      this.text += `$${Buffer.byteLength(v)}\r\n${v}\r\n`;
      return;
    }
    this.text += `$${v.length}\r\n`;
    this.flushText();
    this.append(v instanceof Buffer ? v : Buffer.from(v.buffer, v.byteOffset, v.length));
    this.text += "\r\n";
  }

  private flushText(): void {
    if (this.text.length === 0) return;
    this.append(Buffer.from(this.text, "utf8"));
    this.text = "";
  }

  private append(b: Buffer): void {
    this.parts.push(b);
    this.bytes += b.length;
  }
}

/** Encodes one reply on its own (tests, one-off writes). */
export function encodeReply(reply: Reply, proto: ProtocolVersion): Buffer {
  const w = new ReplyWriter();
  w.write(reply, proto);
  return w.take();
}
