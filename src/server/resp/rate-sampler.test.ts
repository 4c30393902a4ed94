import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RateSampler } from "./rate-sampler.js";

describe("RateSampler", () => {
  it("averages the rate over recent samples", () => {
    const s = new RateSampler();
    assert.equal(s.perSecond(), 0);
    for (let i = 0; i <= 10; i++) s.sample(i * 50, i * 100);
    assert.equal(s.perSecond(), 500);
  });

  it("forgets old samples", () => {
    const s = new RateSampler();
    for (let i = 0; i <= 40; i++) s.sample(i < 20 ? i * 100 : 1900, i * 100);
    assert.equal(s.perSecond(), 0);
  });

  it("starts over when the counter is reset", () => {
    const s = new RateSampler();
    s.sample(0, 0);
    s.sample(100, 100);
    s.sample(0, 200);
    assert.equal(s.perSecond(), 0);
  });
});
