/** The `lib` layer: what every other layer may use. Imports nothing of Tessera's. */
export * from "./assert.js";
export * from "./clock.js";
export * from "./errors.js";
export * from "./ids.js";
export * from "./rng.js";
