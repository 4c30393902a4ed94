/**
 * CRC-32C (Castagnoli), the checksum of every stored Raft record and of
 * snapshot chunks. Table-driven, reflected, polynomial 0x82F63B78; check value
 * crc32c("123456789") = 0xE3069283. Pure: usable on both ends of the bus.
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** Extends a running CRC-32C (start from 0) with `bytes`. */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
