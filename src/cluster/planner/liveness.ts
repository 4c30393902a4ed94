/**
 * Liveness of a node as the meta leader judges it from the pings it receives
 * (DESIGN.md §6): live while it pinged within `suspectAfterMs`, suspect until
 * `deadAfterMs`, dead after. A node the leader has not heard from since it
 * became leader is judged by the time since then, so a new leader does not
 * declare the whole cluster dead at once.
 */
import { assert } from "../../lib/index.js";
import type { Liveness } from "./types.js";

export interface LivenessBounds {
  readonly suspectAfterMs: number;
  readonly deadAfterMs: number;
}

export function classifyLiveness(silentMs: number, bounds: LivenessBounds): Liveness {
  assert(bounds.suspectAfterMs < bounds.deadAfterMs, "suspectAfterMs must be below deadAfterMs");
  if (silentMs < bounds.suspectAfterMs) return "live";
  if (silentMs < bounds.deadAfterMs) return "suspect";
  return "dead";
}
