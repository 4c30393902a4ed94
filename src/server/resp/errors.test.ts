import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ERROR_CODES, TesseraError } from "../../lib/index.js";
import { errorReplyOf, errorText } from "./errors.js";
import { fromKvReply } from "./kv.js";

describe("error replies", () => {
  it("gives every error code a Redis error line with a prefix and no line break", () => {
    for (const code of ERROR_CODES) {
      const text = errorText(code, "something failed", { slot: 12, address: "10.0.0.1:7379" });
      assert.match(text, /^[A-Z]+ \S/, code);
      assert.doesNotMatch(text, /[\r\n]/, code);
    }
  });

  it("uses Redis's exact wording where Redis has one", () => {
    assert.equal(
      errorText("WRONG_TYPE", "anything"),
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    assert.equal(errorText("NOT_INTEGER", ""), "ERR value is not an integer or out of range");
    assert.equal(errorText("SYNTAX", "syntax error"), "ERR syntax error");
    assert.equal(errorText("NOAUTH", ""), "NOAUTH Authentication required.");
    assert.equal(
      errorText("WRONGPASS", ""),
      "WRONGPASS invalid username-password pair or user is disabled.",
    );
    assert.equal(
      errorText("MOVED", "", { slot: 3999, address: "127.0.0.1:6381" }),
      "MOVED 3999 127.0.0.1:6381",
    );
    assert.equal(
      errorText("PROTOCOL", "invalid bulk length"),
      "ERR Protocol error: invalid bulk length",
    );
  });

  it("sends a lost quorum as CLUSTERDOWN and a dropped proposal as TRYAGAIN, which clients retry", () => {
    assert.match(errorText("UNAVAILABLE", "no quorum"), /^CLUSTERDOWN /);
    assert.match(errorText("PROPOSAL_DROPPED", ""), /^TRYAGAIN /);
  });

  it("writes state machine errors through the same table", () => {
    assert.deepEqual(fromKvReply({ t: "error", code: "WRONG_TYPE", message: "x" }), {
      t: "error",
      v: "WRONGTYPE Operation against a key holding the wrong kind of value",
    });
    assert.deepEqual(errorReplyOf(new TesseraError("OVERFLOW", "")), {
      t: "error",
      v: "ERR increment or decrement would overflow",
    });
  });
});
