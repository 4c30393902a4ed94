// Loaded (`--import`) into the test runner and into every test file's process.
// A test file's process reports to the runner over a pipe, and
// `--test-force-exit` ends it as soon as its tests are done: with a
// non-blocking pipe the last reports can still be in flight and are lost,
// so tests vanish from the totals without a failure (nodejs/node#64833).
// A blocking pipe delivers every write before the process exits.
const handle = process.stdout._handle;
if (!process.stdout.isTTY && typeof handle?.setBlocking === "function") handle.setBlocking(true);
