#!/usr/bin/env node
// The `tessera` command. Runs the compiled CLI (dist/, made by `npm run build`);
// from a source checkout without a build, or with TESSERA_FROM_SOURCE=1 (the
// tests set it, so they never run a stale build), it runs the TypeScript
// sources through tsx.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const compiled = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
if (existsSync(compiled) && process.env.TESSERA_FROM_SOURCE !== "1") {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(new URL("../src/cli/main.ts", import.meta.url).href);
}
