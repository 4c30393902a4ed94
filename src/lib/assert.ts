/**
 * Assertions that stay on in production.
 *
 * A failed assertion means Tessera's own code broke an invariant it relies on
 * (a bug), never that a user sent bad input: bad input is a `TesseraError`. The
 * process must stop rather than carry on with state it no longer understands,
 * so these throw `AssertionError`, which no layer catches and turns into a reply.
 */

export class AssertionError extends Error {
  override readonly name = "AssertionError";
}

/** Crashes with `message` unless `condition` holds. */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Ends an exhaustive `switch` over a closed union; the compiler proves it unreachable. */
export function assertNever(value: never, what = "value"): never {
  throw new AssertionError(`unexpected ${what}: ${JSON.stringify(value)}`);
}

/** Marks code that must not be reached. */
export function unreachable(message = "unreachable code reached"): never {
  throw new AssertionError(message);
}
