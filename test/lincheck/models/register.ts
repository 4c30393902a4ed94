/**
 * A single register with read, write and compare-and-set, the object of the
 * Jepsen etcd histories. The state is the register's value, or null when the
 * key does not exist (a read of nil). A cas `[from to]` sets `to` only if the
 * value equals `from`; its output says whether it did. (In Jepsen histories a
 * cas that returned `:fail` certainly did not take effect and is dropped before
 * checking, so the cas operations that remain report `true`, or are unknown.)
 */
import { hashString, ILLEGAL, type Illegal, type Model, UNKNOWN, type Unknown } from "../model.js";

export type RegisterValue = number | string;
export type RegisterState = RegisterValue | null;

export type RegisterInput =
  | { readonly f: "read" }
  | { readonly f: "write"; readonly value: RegisterValue }
  | { readonly f: "cas"; readonly from: RegisterValue; readonly to: RegisterValue };

/** read: the value read (null: absent); write: null; cas: whether it swapped. */
export type RegisterOutput = RegisterState | boolean;

function step(
  state: RegisterState,
  input: RegisterInput,
  output: RegisterOutput | Unknown,
): RegisterState | Illegal {
  switch (input.f) {
    case "read":
      return output === UNKNOWN || output === state ? state : ILLEGAL;
    case "write":
      return input.value;
    case "cas": {
      const swaps = state === input.from;
      if (output !== UNKNOWN && output !== swaps) return ILLEGAL;
      return swaps ? input.to : state;
    }
  }
}

function describe(input: RegisterInput, output: RegisterOutput | Unknown): string {
  const out = output === UNKNOWN ? "?" : output === null ? "nil" : String(output);
  switch (input.f) {
    case "read":
      return `read -> ${out}`;
    case "write":
      return `write ${input.value}`;
    case "cas":
      return `cas ${input.from} -> ${input.to} : ${out}`;
  }
}

export const registerModel: Model<RegisterState, RegisterInput, RegisterOutput> = {
  name: "register",
  init: () => null,
  step,
  equal: (a, b) => a === b,
  hash: (s) => (s === null ? 0 : hashString(`${typeof s}:${s}`)),
  readOnly: (input) => input.f === "read",
  describe,
};
