/**
 * The deliberate bugs the simulator can switch on (`--knob`), each of which it
 * must catch: two in the range layer's write path (StoreHost knobs) and two in
 * the Raft core (`Config.testingKnobs`).
 */
export const KNOBS = [
  "ackBeforeSync",
  "skipAppliedIndex",
  "leaseIgnoresExpiry",
  "commitPriorTermEntries",
] as const;
export type Knob = (typeof KNOBS)[number];

export function parseKnob(s: string): Knob {
  if (!(KNOBS as readonly string[]).includes(s))
    throw new Error(`unknown knob ${s} (one of ${KNOBS.join(", ")})`);
  return s as Knob;
}

/** The knobs of the Raft core act in raft mode (the range layer does not pass them to Raft). */
export const RAFT_KNOBS: readonly Knob[] = ["leaseIgnoresExpiry", "commitPriorTermEntries"];

export function modeForKnob(knob: Knob): "raft" | "host" {
  return RAFT_KNOBS.includes(knob) ? "raft" : "host";
}
