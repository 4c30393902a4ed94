/**
 * Locality diversity of a range's replicas, in the spirit of CockroachDB's
 * diversity score. A node's locality is an ordered list of tiers, as given on
 * its command line (`--locality region=eu,zone=a`): the first tier is the
 * widest (region), each next one narrower (zone). Tiers are taken in the
 * order of the record's keys, which is the order they were written in
 * (JavaScript keeps it, except that integer-like keys come first).
 *
 * The score of a set of replicas has one count per tier: how many pairs of
 * replicas sit in different places at that tier (their localities differ in
 * that tier or a wider one). Scores compare tier by tier, widest first, so
 * regions decide before zones whatever the zones are. Within a tier,
 * counting pairs rewards both more places and an evener spread (2+2+1
 * regions over 3+1+1 for five replicas); swapping a doubled-up replica into a
 * new place always raises the count. Distinct nodes are the last tier
 * implicitly: a range never has two replicas on one node.
 *
 * Invariant: a score depends only on the set of members, not their order.
 */
import type { NodeId } from "../../lib/index.js";
import type { NodeView } from "./types.js";

export type DiversityScore = readonly number[];

/** Each node's place at every tier, for one plan. */
export class LocalityTiers {
  /** The number of tiers: the most any node has. */
  readonly tiers: number;
  private readonly places = new Map<NodeId, readonly string[]>();

  constructor(nodes: readonly NodeView[]) {
    let tiers = 0;
    for (const n of nodes) tiers = Math.max(tiers, Object.keys(n.record.locality).length);
    this.tiers = tiers;
    for (const n of nodes) this.places.set(n.record.id, placesOf(n.record.locality, tiers));
  }

  /** Pairs of `members` in different places, per tier (widest first). */
  score(members: readonly NodeId[]): DiversityScore {
    const out = new Array<number>(this.tiers).fill(0);
    const places = members.map((id) => this.place(id));
    for (let i = 0; i < places.length; i++) {
      for (let j = i + 1; j < places.length; j++) {
        const a = places[i] as readonly string[];
        const b = places[j] as readonly string[];
        for (let t = 0; t < this.tiers; t++) if (a[t] !== b[t]) out[t]! += 1;
      }
    }
    return out;
  }

  private place(id: NodeId): readonly string[] {
    // A node missing from the table sits nowhere in particular: alone at every tier.
    return this.places.get(id) ?? new Array<string>(this.tiers).fill(`?${id}`);
  }
}

/** Positive when `a` is more diverse than `b`, negative when less, 0 when equal. */
export function compareDiversity(a: DiversityScore, b: DiversityScore): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * A node's place at each tier: the labels of that tier and every wider one
 * (zone "a" of region "eu" differs from zone "a" of region "us"). A node
 * with fewer tiers keeps its narrowest place for the tiers it lacks.
 */
function placesOf(locality: Readonly<Record<string, string>>, tiers: number): string[] {
  const entries = Object.entries(locality);
  const out: string[] = [];
  let prefix = "";
  for (let t = 0; t < tiers; t++) {
    const entry = entries[t];
    if (entry !== undefined) prefix = `${prefix}${prefix === "" ? "" : ","}${entry[0]}=${entry[1]}`;
    out.push(prefix);
  }
  return out;
}
