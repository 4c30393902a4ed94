/**
 * The key-value object of the `kv/` fixture histories: `get`, `put` and
 * `append` on string values, where a key that was never written reads as the
 * empty string. Keys are independent, so the model partitions by key and its
 * state is the value of one key.
 */
import {
  hashString,
  ILLEGAL,
  type Illegal,
  type Model,
  partitionBy,
  UNKNOWN,
  type Unknown,
} from "../model.js";

export interface KvAppendInput {
  readonly f: "get" | "put" | "append";
  readonly key: string;
  /** The value written by put or appended by append; ignored by get. */
  readonly value: string;
}

/** get: the value read; put, append: the empty string (ignored). */
export type KvAppendOutput = string;

function step(
  state: string,
  input: KvAppendInput,
  output: KvAppendOutput | Unknown,
): string | Illegal {
  switch (input.f) {
    case "get":
      return output === UNKNOWN || output === state ? state : ILLEGAL;
    case "put":
      return input.value;
    case "append":
      return state + input.value;
  }
}

export const kvAppendModel: Model<string, KvAppendInput, KvAppendOutput> = {
  name: "kv-append",
  init: () => "",
  step,
  equal: (a, b) => a === b,
  hash: hashString,
  partition: partitionBy((input) => input.key),
  readOnly: (input) => input.f === "get",
  describe: (input, output) => {
    const out = output === UNKNOWN ? "?" : JSON.stringify(output);
    return input.f === "get"
      ? `get ${input.key} -> ${out}`
      : `${input.f} ${input.key} ${JSON.stringify(input.value)}`;
  },
};
