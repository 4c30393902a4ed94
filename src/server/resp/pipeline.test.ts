import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CommandKind } from "./command-spec.js";
import { Pipeline } from "./pipeline.js";
import { integer, type Reply } from "./reply.js";

interface Deferred {
  resolve(r: Reply): void;
}

function harness() {
  const started: number[] = [];
  const deferred = new Map<number, Deferred>();
  const pipeline = new Pipeline(() => {});
  const push = (n: number, kind: CommandKind, sync = false) =>
    pipeline.push({
      kind,
      closeAfter: false,
      run: () => {
        started.push(n);
        if (sync) return integer(n);
        return new Promise<Reply>((resolve) => deferred.set(n, { resolve }));
      },
    });
  const finish = async (n: number) => {
    deferred.get(n)?.resolve(integer(n));
    await new Promise((r) => setImmediate(r));
  };
  const replies = () =>
    pipeline.takeReplies().replies.map(({ reply }) => (reply.t === "int" ? Number(reply.v) : -1));
  return { started, push, finish, replies, pipeline };
}

describe("Pipeline", () => {
  it("runs consecutive writes together and replies in request order", async () => {
    const h = harness();
    h.push(1, "write");
    h.push(2, "write");
    h.push(3, "write");
    assert.deepEqual(h.started, [1, 2, 3]);
    await h.finish(3);
    await h.finish(2);
    assert.deepEqual(h.replies(), []);
    await h.finish(1);
    assert.deepEqual(h.replies(), [1, 2, 3]);
  });

  it("holds a read until the writes before it finish (read-your-writes)", async () => {
    const h = harness();
    h.push(1, "write");
    h.push(2, "read");
    h.push(3, "read");
    assert.deepEqual(h.started, [1]);
    await h.finish(1);
    assert.deepEqual(h.started, [1, 2, 3]);
  });

  it("holds a write until the reads before it finish", async () => {
    const h = harness();
    h.push(1, "read");
    h.push(2, "write");
    assert.deepEqual(h.started, [1]);
    await h.finish(1);
    assert.deepEqual(h.started, [1, 2]);
  });

  it("runs a local command alone, after everything before it", async () => {
    const h = harness();
    h.push(1, "write");
    h.push(2, "local", true);
    h.push(3, "write");
    assert.deepEqual(h.started, [1]);
    await h.finish(1);
    assert.deepEqual(h.started, [1, 2, 3]);
    await h.finish(3);
    assert.deepEqual(h.replies(), [1, 2, 3]);
  });

  it("ignores completions after it is discarded", async () => {
    const h = harness();
    h.push(1, "write");
    h.pipeline.discard();
    await h.finish(1);
    assert.deepEqual(h.replies(), []);
  });
});
