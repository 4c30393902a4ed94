import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isTesseraError, nodeId } from "../lib/index.js";
import {
  decodeConfChange,
  encodeConfChange,
  entersJoint,
  isLeaveJoint,
} from "./conf-change-codec.js";
import type { ConfChange, ConfChangeTransition, ConfChangeType } from "./types.js";

const cc = fc
  .record({
    transition: fc.constantFrom<ConfChangeTransition>("auto", "joint-implicit", "joint-explicit"),
    changes: fc.array(
      fc
        .record({
          type: fc.constantFrom<ConfChangeType>("add-node", "remove-node", "add-learner"),
          nodeId: fc.nat(1000).map(nodeId),
        })
        .map((c) => ({ ...c })),
      { maxLength: 5 },
    ),
    context: fc.option(fc.uint8Array({ minLength: 1, maxLength: 8 }), { nil: undefined }),
  })
  .map((c) => ({ ...c }));

describe("conf change encoding", () => {
  it("round-trips any conf change (property)", () => {
    fc.assert(
      fc.property(cc, (c) => {
        const want: ConfChange = c.context ? c : { transition: c.transition, changes: c.changes };
        assert.deepEqual(decodeConfChange(encodeConfChange(c)), want);
      }),
    );
  });

  it("refuses corrupt data with CORRUPTION", () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    for (const s of [
      "nope",
      "1",
      '{"t":"x","c":[]}',
      '{"t":"auto","c":1}',
      '{"t":"auto","c":[[1]]}',
      '{"t":"auto","c":[["zap",1]]}',
      '{"t":"auto","c":[["add-node",-1]]}',
      '{"t":"auto","c":[],"x":[300]}',
    ]) {
      assert.throws(
        () => decodeConfChange(enc(s)),
        (e) => isTesseraError(e, "CORRUPTION"),
        s,
      );
    }
  });

  it("classifies leave-joint and enter-joint changes", () => {
    const one = [{ type: "add-node" as const, nodeId: nodeId(1) }];
    const two = [...one, { type: "add-node" as const, nodeId: nodeId(2) }];
    assert.ok(isLeaveJoint({ transition: "auto", changes: [] }));
    assert.deepEqual(entersJoint({ transition: "auto", changes: one }), {
      joint: false,
      autoLeave: false,
    });
    assert.deepEqual(entersJoint({ transition: "auto", changes: two }), {
      joint: true,
      autoLeave: true,
    });
    assert.deepEqual(entersJoint({ transition: "joint-explicit", changes: one }), {
      joint: true,
      autoLeave: false,
    });
  });
});
