/**
 * Reads a Jepsen log of a single-register test (the etcd histories of the
 * fixtures) into operations for the register model. Each line is
 * `INFO  jepsen.util - PROCESS  :TYPE  :F  VALUE` with fields separated by tabs
 * or spaces; TYPE is invoke, ok, fail or info; VALUE is nil, an integer, a
 * `[FROM TO]` pair for cas, or `:timed-out` on an info line.
 *
 * The invoke of a process is completed by that process's next ok, fail or info:
 * ok gives the output, fail means the operation certainly did not take effect
 * (it is dropped), info means its outcome is unknown (return = Infinity, the
 * output the model is given is UNKNOWN). An invoke never completed before the
 * end of the log is unknown too. Times are line numbers. Pure: takes the text.
 */
import { type Operation, UNKNOWN } from "../model.js";
import type { RegisterInput, RegisterOutput, RegisterValue } from "../models/register.js";

type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

const LINE =
  /^\S+\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s+(.*?)\s*$/;

function parseValue(text: string, lineNo: number): RegisterValue | null {
  if (text === "nil") return null;
  if (/^-?\d+$/.test(text)) return Number(text);
  throw new SyntaxError(
    `line ${lineNo}: expected nil or an integer, found ${JSON.stringify(text)}`,
  );
}

function parseInput(f: string, value: string, lineNo: number): RegisterInput {
  if (f === "read") return { f: "read" };
  if (f === "write") {
    const v = parseValue(value, lineNo);
    if (v === null) throw new SyntaxError(`line ${lineNo}: write of nil`);
    return { f: "write", value: v };
  }
  const pair = /^\[(\S+)\s+(\S+)\]$/.exec(value);
  const from = pair && parseValue(pair[1] as string, lineNo);
  const to = pair && parseValue(pair[2] as string, lineNo);
  if (from === null || to === null)
    throw new SyntaxError(`line ${lineNo}: bad cas argument ${value}`);
  return { f: "cas", from, to };
}

export function parseJepsenLog(text: string): RegisterOperation[] {
  const ops: RegisterOperation[] = [];
  const pending = new Map<number, { input: RegisterInput; call: number }>();
  text.split("\n").forEach((raw, index) => {
    const lineNo = index + 1;
    if (raw.trim() === "") return;
    const m = LINE.exec(raw);
    if (m === null)
      throw new SyntaxError(`line ${lineNo}: not a jepsen.util operation line: ${raw}`);
    const [, proc, type, f, value] = m as unknown as [string, string, string, string, string];
    const clientId = Number(proc);
    if (type === "invoke") {
      if (pending.has(clientId))
        throw new SyntaxError(`line ${lineNo}: process ${clientId} invoked twice`);
      pending.set(clientId, { input: parseInput(f, value, lineNo), call: lineNo });
      return;
    }
    const invoked = pending.get(clientId);
    if (invoked === undefined)
      throw new SyntaxError(`line ${lineNo}: process ${clientId} completes nothing`);
    pending.delete(clientId);
    if (invoked.input.f !== f)
      throw new SyntaxError(`line ${lineNo}: completes a ${invoked.input.f} with :${f}`);
    if (type === "fail") return;
    if (type === "info") {
      ops.push({
        clientId,
        input: invoked.input,
        output: UNKNOWN,
        call: invoked.call,
        return: Number.POSITIVE_INFINITY,
      });
      return;
    }
    const output: RegisterOutput =
      f === "read" ? parseValue(value, lineNo) : f === "cas" ? true : null;
    ops.push({ clientId, input: invoked.input, output, call: invoked.call, return: lineNo });
  });
  for (const [clientId, { input, call }] of pending) {
    ops.push({ clientId, input, output: UNKNOWN, call, return: Number.POSITIVE_INFINITY });
  }
  return ops;
}
