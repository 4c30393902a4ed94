import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTesseraError, type NodeId } from "../lib/index.js";
import {
  decodeCall,
  decodeCallResult,
  decodeHello,
  decodeRefusal,
  encodeCall,
  encodeCallResult,
  encodeHello,
  encodeRefusal,
} from "./codec.js";

describe("control codec", () => {
  it("round-trips hello, refusal, call and both kinds of result", () => {
    const hello = {
      protocolVersion: 1,
      clusterId: "c-1",
      nodeId: 3 as NodeId,
      advertiseAddress: "10.0.0.3:17379",
    };
    assert.deepEqual(decodeHello(encodeHello(hello)), hello);
    assert.deepEqual(decodeRefusal(encodeRefusal({ reason: "no" })), { reason: "no" });
    const call = { id: 9, method: "join", timeoutMs: 500, request: { a: [1, "x"], big: 2 ** 40 } };
    assert.deepEqual(decodeCall(encodeCall(call)), call);
    const ok = { id: 9, ok: true as const, value: { n: 1 } };
    assert.deepEqual(decodeCallResult(encodeCallResult(ok)), ok);
    const err = {
      id: 9,
      ok: false as const,
      code: "NOT_LEADER" as const,
      message: "not the leader",
      details: { leader: 2 },
    };
    assert.deepEqual(decodeCallResult(encodeCallResult(err)), err);
  });

  it("carries bytes in a request as a view of the payload", () => {
    const payload = encodeCall({
      id: 1,
      method: "m",
      timeoutMs: 1,
      request: new Uint8Array([1, 2, 3]),
    });
    const decoded = decodeCall(payload).request as Uint8Array;
    assert.deepEqual([...decoded], [1, 2, 3]);
    assert.equal(decoded.buffer, payload.buffer);
  });

  it("reports a code this build does not know as INTERNAL, keeping the original", () => {
    const payload = encodeCallResult({
      id: 1,
      ok: false,
      code: "FUTURE_CODE" as never,
      message: "m",
    });
    const r = decodeCallResult(payload);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.code, "INTERNAL");
      assert.equal(r.details?.remoteCode, "FUTURE_CODE");
    }
  });

  it("refuses malformed payloads with PROTOCOL", () => {
    const bad = [Buffer.from([0xc1]), encodeRefusal({ reason: "x" }), Buffer.alloc(0)];
    for (const b of bad) {
      assert.throws(
        () => decodeHello(b),
        (e) => isTesseraError(e, "PROTOCOL"),
      );
      assert.throws(
        () => decodeCall(b),
        (e) => isTesseraError(e, "PROTOCOL"),
      );
      assert.throws(
        () => decodeCallResult(b),
        (e) => isTesseraError(e, "PROTOCOL"),
      );
    }
  });
});
