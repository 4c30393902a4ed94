/**
 * Reads the `kv/` fixture histories into operations for the kv-append model:
 * one EDN map per line, `{:process 0, :type :invoke, :f :append, :key "0",
 * :value "x 0 0 y"}`. Only the EDN this needs is understood: a flat map whose
 * keys are keywords and whose values are keywords, integers, strings or nil.
 *
 * An invoke is completed by the same process's next ok (output: the value of a
 * get), fail (dropped: it did not take effect) or info (outcome unknown); an
 * invoke left open at the end is unknown. Times are line numbers. Pure.
 */
import { type Operation, UNKNOWN } from "../model.js";
import type { KvAppendInput, KvAppendOutput } from "../models/kv-append.js";

type EdnValue = string | number | null | { readonly keyword: string };
type KvOperation = Operation<KvAppendInput, KvAppendOutput>;

const TOKEN = /\s*(?:(,)|(:[^\s,{}"]+)|(-?\d+)|(nil)|"((?:[^"\\]|\\.)*)"|(\{|\}))/y;
const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };

/** Parses one flat EDN map into keyword → value. */
export function parseEdnMap(line: string, lineNo: number): Map<string, EdnValue> {
  const values: (EdnValue | "{" | "}")[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < line.trimEnd().length) {
    const m = TOKEN.exec(line);
    if (m === null)
      throw new SyntaxError(`line ${lineNo}: cannot read EDN at column ${TOKEN.lastIndex + 1}`);
    if (m[1] !== undefined) continue;
    if (m[2] !== undefined) values.push({ keyword: m[2].slice(1) });
    else if (m[3] !== undefined) values.push(Number(m[3]));
    else if (m[4] !== undefined) values.push(null);
    else if (m[5] !== undefined)
      values.push(m[5].replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c));
    else values.push(m[6] as "{" | "}");
  }
  if (values[0] !== "{" || values[values.length - 1] !== "}" || values.length % 2 !== 0) {
    throw new SyntaxError(`line ${lineNo}: expected one flat EDN map`);
  }
  const map = new Map<string, EdnValue>();
  for (let i = 1; i < values.length - 1; i += 2) {
    const key = values[i];
    if (typeof key !== "object" || key === null || !("keyword" in key)) {
      throw new SyntaxError(`line ${lineNo}: map key is not a keyword`);
    }
    map.set(key.keyword, values[i + 1] as EdnValue);
  }
  return map;
}

function keyword(map: Map<string, EdnValue>, key: string, lineNo: number): string {
  const v = map.get(key);
  if (typeof v !== "object" || v === null)
    throw new SyntaxError(`line ${lineNo}: :${key} is not a keyword`);
  return v.keyword;
}

function string(map: Map<string, EdnValue>, key: string, lineNo: number): string | null {
  const v = map.get(key);
  if (v === null || typeof v === "string") return v;
  throw new SyntaxError(`line ${lineNo}: :${key} is not a string or nil`);
}

export function parseEdnKvHistory(text: string): KvOperation[] {
  const ops: KvOperation[] = [];
  const pending = new Map<number, { input: KvAppendInput; call: number }>();
  text.split("\n").forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === "") return;
    const map = parseEdnMap(line, lineNo);
    const clientId = map.get("process");
    if (typeof clientId !== "number")
      throw new SyntaxError(`line ${lineNo}: :process is not an integer`);
    const type = keyword(map, "type", lineNo);
    const f = keyword(map, "f", lineNo);
    if (f !== "get" && f !== "put" && f !== "append")
      throw new SyntaxError(`line ${lineNo}: unknown :f :${f}`);
    const key = string(map, "key", lineNo);
    if (key === null) throw new SyntaxError(`line ${lineNo}: :key is nil`);
    const value = string(map, "value", lineNo);
    if (type === "invoke") {
      if (pending.has(clientId))
        throw new SyntaxError(`line ${lineNo}: process ${clientId} invoked twice`);
      pending.set(clientId, { input: { f, key, value: value ?? "" }, call: lineNo });
      return;
    }
    const invoked = pending.get(clientId);
    if (invoked === undefined)
      throw new SyntaxError(`line ${lineNo}: process ${clientId} completes nothing`);
    pending.delete(clientId);
    if (type === "fail") return;
    if (type === "info") {
      ops.push({
        clientId,
        input: invoked.input,
        output: UNKNOWN,
        call: invoked.call,
        return: Number.POSITIVE_INFINITY,
      });
    } else if (type === "ok") {
      const output = f === "get" ? (value ?? "") : "";
      ops.push({ clientId, input: invoked.input, output, call: invoked.call, return: lineNo });
    } else throw new SyntaxError(`line ${lineNo}: unknown :type :${type}`);
  });
  for (const [clientId, { input, call }] of pending) {
    ops.push({ clientId, input, output: UNKNOWN, call, return: Number.POSITIVE_INFINITY });
  }
  return ops;
}
