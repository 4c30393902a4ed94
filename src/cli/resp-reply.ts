/**
 * The shell's side of RESP: an incremental reader of server replies (every
 * RESP2 and RESP3 type), a writer of requests as multibulk arrays, and the
 * splitting of a typed line into arguments with redis-cli's quoting rules
 * ("…" with \n \xHH escapes, '…'), and printing replies as redis-cli does:
 * its human ("TTY") form — `"v"`, `(integer) 1`, `(nil)`, `(error) ERR …`,
 * numbered and indented arrays, `1# k => v` maps — and its raw form for pipes.
 * Kept here until the server layer exports a reply reader for clients.
 */

export type RespValue =
  | { readonly t: "simple"; readonly v: string }
  | { readonly t: "error"; readonly v: string }
  | { readonly t: "int"; readonly v: bigint }
  | { readonly t: "double"; readonly v: string }
  | { readonly t: "bool"; readonly v: boolean }
  | { readonly t: "bulk"; readonly v: Buffer }
  | { readonly t: "verbatim"; readonly v: Buffer }
  | { readonly t: "null" }
  | { readonly t: "array" | "set" | "push"; readonly v: readonly RespValue[] }
  | { readonly t: "map"; readonly v: readonly RespValue[] };

/** Thrown for bytes that are not RESP: the connection cannot be trusted after. */
export class ReplyProtocolError extends Error {}

const CRLF = Buffer.from("\r\n");

/** Encodes a request as a RESP multibulk. */
export function encodeRequest(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, CRLF);
  }
  return Buffer.concat(parts);
}

/** Reads replies from a stream of chunks; `next()` is undefined until one is whole. */
export class ReplyReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  push(chunk: Buffer): void {
    this.buf =
      this.pos >= this.buf.length ? chunk : Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
  }

  next(): RespValue | undefined {
    const start = this.pos;
    const value = this.read();
    if (value === undefined) this.pos = start;
    return value;
  }

  private line(): string | undefined {
    const cr = this.buf.indexOf(CRLF, this.pos);
    if (cr < 0) return undefined;
    const text = this.buf.toString("latin1", this.pos, cr);
    this.pos = cr + 2;
    return text;
  }

  private read(): RespValue | undefined {
    if (this.pos >= this.buf.length) return undefined;
    const type = String.fromCharCode(this.buf[this.pos] as number);
    this.pos++;
    const line = this.line();
    if (line === undefined) return undefined;
    switch (type) {
      case "+":
        return { t: "simple", v: Buffer.from(line, "latin1").toString("utf8") };
      case "-":
        return { t: "error", v: Buffer.from(line, "latin1").toString("utf8") };
      case ":":
        return { t: "int", v: BigInt(line) };
      case "(":
        return { t: "int", v: BigInt(line) };
      case ",":
        return { t: "double", v: line };
      case "#":
        return { t: "bool", v: line === "t" };
      case "_":
        return { t: "null" };
      case "$":
      case "=":
      case "!": {
        const len = Number(line);
        if (len < 0) return { t: "null" };
        if (this.buf.length - this.pos < len + 2) return undefined;
        const data = Buffer.from(this.buf.subarray(this.pos, this.pos + len));
        this.pos += len + 2;
        if (type === "!") return { t: "error", v: data.toString("utf8") };
        return type === "=" ? { t: "verbatim", v: data.subarray(4) } : { t: "bulk", v: data };
      }
      case "*":
      case "~":
      case ">":
      case "%": {
        const n = Number(line);
        if (n < 0) return { t: "null" };
        const count = type === "%" ? n * 2 : n;
        const items: RespValue[] = [];
        for (let i = 0; i < count; i++) {
          const item = this.read();
          if (item === undefined) return undefined;
          items.push(item);
        }
        if (type === "%") return { t: "map", v: items };
        return { t: type === "*" ? "array" : type === "~" ? "set" : "push", v: items };
      }
      default:
        throw new ReplyProtocolError(`unexpected reply type byte '${type}'`);
    }
  }
}

const ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, b: 8, a: 7 };

/**
 * Splits a typed line as redis-cli does (sdssplitargs): blanks separate words,
 * "double quotes" take \n \r \t \b \a \xHH escapes, 'single quotes' only \'.
 * `undefined` for unbalanced quotes.
 */
export function splitLine(line: string): Buffer[] | undefined {
  const bytes = Buffer.from(line, "utf8");
  const args: Buffer[] = [];
  let p = 0;
  const isSpace = (c: number | undefined) => c !== undefined && (c === 32 || (c >= 9 && c <= 13));
  const hex = (c: number | undefined) =>
    c === undefined ? -1 : Number.parseInt(String.fromCharCode(c), 16);
  for (;;) {
    while (p < bytes.length && isSpace(bytes[p])) p++;
    if (p >= bytes.length) return args;
    const cur: number[] = [];
    let quote: 0 | 34 | 39 = 0;
    for (;;) {
      const c = bytes[p];
      if (quote === 34) {
        if (c === undefined) return undefined;
        if (c === 92 && bytes[p + 1] === 120 && hex(bytes[p + 2]) >= 0 && hex(bytes[p + 3]) >= 0) {
          cur.push(hex(bytes[p + 2]) * 16 + hex(bytes[p + 3]));
          p += 4;
        } else if (c === 92 && bytes[p + 1] !== undefined) {
          const e = bytes[p + 1] as number;
          cur.push(ESCAPES[String.fromCharCode(e)] ?? e);
          p += 2;
        } else if (c === 34) {
          p++;
          if (p < bytes.length && !isSpace(bytes[p])) return undefined;
          break;
        } else {
          cur.push(c);
          p++;
        }
      } else if (quote === 39) {
        if (c === undefined) return undefined;
        if (c === 92 && bytes[p + 1] === 39) {
          cur.push(39);
          p += 2;
        } else if (c === 39) {
          p++;
          if (p < bytes.length && !isSpace(bytes[p])) return undefined;
          break;
        } else {
          cur.push(c);
          p++;
        }
      } else if (c === undefined || isSpace(c)) {
        break;
      } else if (c === 34 || c === 39) {
        quote = c;
        p++;
      } else {
        cur.push(c);
        p++;
      }
    }
    args.push(Buffer.from(cur));
  }
}

/** redis-cli's sdscatrepr: printable ASCII as is, the rest escaped. */
export function quoteBytes(b: Buffer): string {
  let out = '"';
  for (const c of b) {
    if (c === 0x5c) out += "\\\\";
    else if (c === 0x22) out += '\\"';
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x07) out += "\\a";
    else if (c === 0x08) out += "\\b";
    else if (c >= 0x20 && c <= 0x7e) out += String.fromCharCode(c);
    else out += `\\x${c.toString(16).padStart(2, "0")}`;
  }
  return `${out}"`;
}

function emptyName(t: string): string {
  return t === "map" ? "(empty hash)" : t === "set" ? "(empty set)" : "(empty array)";
}

/** The human form, each reply ending with a newline. */
export function formatTty(r: RespValue, prefix = ""): string {
  switch (r.t) {
    case "simple":
      return `${r.v}\n`;
    case "error":
      return `(error) ${r.v}\n`;
    case "int":
      return `(integer) ${r.v}\n`;
    case "double":
      return `(double) ${r.v}\n`;
    case "bool":
      return r.v ? "(true)\n" : "(false)\n";
    case "bulk":
      return `${quoteBytes(r.v)}\n`;
    case "verbatim":
      return `${r.v.toString("utf8")}\n`;
    case "null":
      return "(nil)\n";
    case "array":
    case "set":
    case "push":
    case "map": {
      if (r.v.length === 0) return `${emptyName(r.t)}\n`;
      const idxLen = String(r.v.length).length;
      const inner = prefix + " ".repeat(idxLen + 2);
      const sep = r.t === "set" ? "~" : r.t === "map" ? "#" : ")";
      let out = "";
      for (let i = 0; i < r.v.length; i++) {
        const human = (r.t === "map" ? Math.floor(i / 2) : i) + 1;
        out += `${i === 0 ? "" : prefix}${String(human).padStart(idxLen)}${sep} `;
        out += formatTty(r.v[i] as RespValue, inner);
        if (r.t === "map") {
          i++;
          out = `${out.slice(0, -1)} => ${formatTty(r.v[i] as RespValue, inner)}`;
        }
      }
      return out;
    }
  }
}

/** The raw form (redis-cli --raw, or output to a pipe), without the final newline. */
export function formatRaw(r: RespValue): string {
  switch (r.t) {
    case "simple":
      return r.v;
    case "error":
      return `${r.v}\n`;
    case "int":
      return String(r.v);
    case "double":
      return r.v;
    case "bool":
      return r.v ? "1" : "0";
    case "bulk":
    case "verbatim":
      return r.v.toString("utf8");
    case "null":
      return "";
    default:
      return r.v.map(formatRaw).join("\n");
  }
}
