/**
 * The interaction harness of the Raft core: scenario scripts
 * (`src/raft/testdata/*.txt`) that drive a few in-memory nodes step by step and
 * record everything they do, modelled on the datadriven interaction tests of
 * etcd-io/raft (`interaction_test.go`, `rafttest/interaction_env*.go`).
 *
 * The harness is pure: `runInteraction` takes a script's text and returns the
 * text it would have if every block's output were what the core does now, plus
 * the blocks whose output differs. Reading and writing files is the test's job.
 */
import { executeBlock } from "./commands.js";
import { Env } from "./env.js";
import { runScript, type ScriptRun } from "./runner.js";

export type { Mismatch, ScriptRun } from "./runner.js";

/** Runs one scenario script in a fresh environment. */
export function runInteraction(text: string, file: string): ScriptRun {
  const env = new Env();
  return runScript(text, file, (block) => executeBlock(env, block));
}
