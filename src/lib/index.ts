/** The `lib` layer: what every other layer may use. Imports nothing of Tessera's. */
export * from "./assert.js";
export * from "./bytes.js";
export * from "./clock.js";
export * from "./crc16.js";
export * from "./due-queue.js";
export * from "./errors.js";
export * from "./glob.js";
export * from "./hlc.js";
export * from "./ids.js";
export * from "./keys.js";
export * from "./record.js";
export * from "./rng.js";
export * from "./span-text.js";
export * from "./timers.js";
