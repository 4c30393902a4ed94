/**
 * A child process for assertion.test.ts: a RESP server whose service breaks
 * an invariant (throws an AssertionError) on the first write. It prints its
 * port and waits; the test expects the process to die when a write arrives.
 */
import { AssertionError } from "../../../lib/index.js";
import { startTestServer } from "./start.js";

const t = await startTestServer();
t.service.write = () => Promise.reject(new AssertionError("test: broken invariant"));
process.stdout.write(`${t.port}\n`);
