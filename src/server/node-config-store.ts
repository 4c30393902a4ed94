/**
 * CONFIG GET's view of the node's own settings (the RESP server answers its
 * own parameters itself). These are fixed for the life of the process, so
 * CONFIG SET of any of them is READONLY.
 */
import { globMatch, TesseraError, utf8 } from "../lib/index.js";
import type { RespConfigStore } from "./resp/index.js";

export class NodeConfigStore implements RespConfigStore {
  private readonly entries: readonly (readonly [string, string])[];

  constructor(values: Readonly<Record<string, string | number>>) {
    this.entries = Object.entries(values).map(([k, v]) => [k, String(v)] as const);
  }

  get(pattern: string): readonly (readonly [string, string])[] {
    const p = utf8(pattern.toLowerCase());
    return this.entries.filter(([name]) => globMatch(p, utf8(name)));
  }

  set(name: string, _value: string): void {
    throw new TesseraError("READONLY", `${name} is fixed at startup`);
  }
}
