/**
 * CRC16 and key hash slots, exactly as Redis Cluster computes them (Redis
 * `crc16.c` and `keyHashSlot` in `cluster.c`): CRC16-CCITT in its XMODEM
 * variant (polynomial 0x1021, initial value 0, no reflection, no final xor),
 * taken modulo 16384.
 *
 * Hash tags: if a key contains `{`, and a `}` follows it with at least one byte
 * between them, only the bytes between the first `{` and the first `}` after it
 * are hashed, so `{user1000}.following` and `{user1000}.followers` share a slot.
 * An empty tag (`{}`) or a `{` with no `}` after it hashes the whole key.
 */

/** The number of hash slots of a hash-mode keyspace (Redis Cluster's 16384). */
export const SLOT_COUNT = 16384;

const TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    table[i] = crc;
  }
  return table;
})();

/** CRC16-CCITT (XMODEM) of `bytes[start, end)`. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >>> 8) ^ (bytes[i] as number)) & 0xff] as number);
  }
  return crc;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** The hash slot of `key`, in [0, SLOT_COUNT), honouring `{hash tags}`. */
export function keyHashSlot(key: Uint8Array): number {
  const open = key.indexOf(OPEN_BRACE);
  if (open !== -1) {
    const close = key.indexOf(CLOSE_BRACE, open + 1);
    // A tag must be non-empty: "{}" hashes the whole key.
    if (close !== -1 && close !== open + 1) return crc16(key, open + 1, close) & (SLOT_COUNT - 1);
  }
  return crc16(key) & (SLOT_COUNT - 1);
}
