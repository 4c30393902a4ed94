import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type NodeId, nodeId } from "../../lib/index.js";
import { compareDiversity, LocalityTiers } from "./diversity.js";
import { node } from "./testing/fixtures.js";

const ids = (...xs: number[]): NodeId[] => xs.map(nodeId);

describe("LocalityTiers", () => {
  const tiers = new LocalityTiers([
    node(1, { locality: { region: "eu", zone: "a" } }),
    node(2, { locality: { region: "eu", zone: "b" } }),
    node(3, { locality: { region: "us", zone: "a" } }),
    node(4, { locality: { region: "eu", zone: "a" } }),
    node(5, { locality: { region: "us", zone: "b" } }),
    node(6, { locality: { region: "asia", zone: "a" } }),
  ]);

  it("counts, per tier, the pairs of replicas in different places", () => {
    // Regions eu, eu, us: two pairs differ. Zones eu/a, eu/b, us/a: all three pairs differ.
    assert.deepEqual(tiers.score(ids(1, 2, 3)), [2, 3]);
    assert.deepEqual(tiers.score(ids(1, 4)), [0, 0]);
  });

  it("tells zone a of one region from zone a of another", () => {
    assert.deepEqual(tiers.score(ids(1, 3)), [1, 1]);
  });

  it("does not depend on the order of the replicas", () => {
    assert.deepEqual(tiers.score(ids(3, 1, 2)), tiers.score(ids(1, 2, 3)));
  });

  it("ranks the region tier above the zone tier", () => {
    const threeRegions = tiers.score(ids(1, 3, 6)); // eu/a us/a asia/a
    const twoRegionsThreeZones = tiers.score(ids(1, 2, 3)); // eu/a eu/b us/a
    assert.ok(compareDiversity(threeRegions, twoRegionsThreeZones) > 0);
  });

  it("prefers the evener spread over three regions (2+2+1 over 3+1+1)", () => {
    const even = tiers.score(ids(1, 2, 3, 5, 6));
    const uneven = tiers.score(ids(1, 2, 4, 3, 6));
    assert.ok(compareDiversity(even, uneven) > 0);
  });

  it("scores nothing when no node has a locality", () => {
    const bare = new LocalityTiers([node(1), node(2)]);
    assert.deepEqual(bare.score(ids(1, 2)), []);
    assert.equal(compareDiversity(bare.score(ids(1, 2)), bare.score(ids(1))), 0);
  });

  it("places a node missing from the table apart from every other", () => {
    assert.deepEqual(tiers.score(ids(1, 9)), [1, 1]);
  });
});
