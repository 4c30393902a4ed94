import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSyntax, renderSyntax } from "./command-docs.js";
import { COMMAND_TABLE, handlerNames, lookupCommand } from "./command-table.js";
import { HANDLERS } from "./commands/index.js";

const everyCommand = COMMAND_TABLE.flatMap((c) => [c, ...(c.subcommands ?? [])]);

describe("command table", () => {
  it("has a handler for every command and a command for every handler", () => {
    assert.deepEqual([...HANDLERS.keys()].sort(), handlerNames().sort());
  });

  it("names commands in lowercase, subcommands as container|sub, without duplicates", () => {
    const names = everyCommand.map((c) => c.name);
    assert.equal(new Set(names).size, names.length);
    for (const c of COMMAND_TABLE) {
      assert.match(c.name, /^[a-z]+$/);
      for (const s of c.subcommands ?? []) assert.ok(s.name.startsWith(`${c.name}|`), s.name);
    }
  });

  it("keeps arity, key positions, flags and kinds consistent", () => {
    for (const c of everyCommand) {
      assert.notEqual(c.arity, 0, c.name);
      if (c.firstKey === 0) assert.deepEqual([c.lastKey, c.keyStep], [0, 0], c.name);
      else assert.ok(c.keyStep > 0 && (c.lastKey < 0 || c.lastKey >= c.firstKey), c.name);
      if (c.flags.includes("write")) assert.equal(c.kind, "write", c.name);
      if (c.kind === "write") assert.ok(c.flags.includes("write"), c.name);
      assert.ok(c.summary.length > 0 && /^\d+\.\d+\.\d+$/.test(c.since), c.name);
    }
  });

  it("has parseable syntax for every command", () => {
    for (const c of everyCommand) assert.doesNotThrow(() => parseSyntax(c.syntax), c.name);
  });

  it("renders syntax the way Redis documents it", () => {
    const set = lookupCommand("set");
    assert.ok(set !== undefined);
    assert.equal(
      renderSyntax(parseSyntax(set.syntax)),
      "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",
    );
    assert.equal(
      renderSyntax(parseSyntax(lookupCommand("mset")!.syntax)),
      "key value [key value ...]",
    );
    assert.equal(renderSyntax(parseSyntax(lookupCommand("del")!.syntax)), "key [key ...]");
  });
});
