/**
 * The named limits of the key-value state machine (STYLE.md rule 4), kept
 * together. They are part of replicated behaviour: every replica must use the
 * same values, so they are constants, not settings.
 */

/** Largest string value a write may produce (Redis's default proto-max-bulk-len, 512 MiB). */
export const STRING_BYTES_MAX = 512 * 1024 * 1024;

/** Longest float text INCRBYFLOAT parses (Redis's MAX_LONG_DOUBLE_CHARS). */
export const FLOAT_TEXT_BYTES_MAX = 5 * 1024;

/** Most entries one SCAN call visits, whatever COUNT asks for. */
export const SCAN_VISIT_MAX = 100_000;

/** Entries RANDOMKEY reads per batch while looking for a live key. */
export const RANDOMKEY_BATCH_KEYS = 64;

/** Up to this many stored keys, RANDOMKEY picks uniformly by walking to the n-th key. */
export const RANDOMKEY_WALK_KEYS_MAX = 1024;
