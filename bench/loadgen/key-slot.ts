/**
 * Redis Cluster key slots (CRC16-XMODEM of the key, modulo 16384, honouring
 * `{hash tags}`), used to send each command straight to the node owning its
 * slot. The suite keeps its own copy rather than importing Tessera's so that
 * a bug in the system under test can never distort a peer's figures; the
 * cluster target checks a sample against `CLUSTER KEYSLOT` before any load.
 */

export const SLOT_COUNT = 16384;

const table = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    t[i] = crc;
  }
  return t;
})();

function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xffff) ^ table[((crc >>> 8) ^ bytes[i]!) & 0xff]!;
  }
  return crc;
}

/** The slot of `key`. */
export function keySlot(key: Uint8Array): number {
  const open = key.indexOf(0x7b);
  if (open !== -1) {
    const close = key.indexOf(0x7d, open + 1);
    if (close !== -1 && close !== open + 1) return crc16(key, open + 1, close) & (SLOT_COUNT - 1);
  }
  return crc16(key, 0, key.length) & (SLOT_COUNT - 1);
}
