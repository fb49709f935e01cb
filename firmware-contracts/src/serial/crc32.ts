/**
 * CRC-32/ISO-HDLC (the CRC of zlib, PNG and Ethernet): poly 0x04C11DB7 reflected (0xEDB88320),
 * init 0xFFFFFFFF, reflected in and out, final XOR 0xFFFFFFFF. Published check value for the
 * ASCII bytes "123456789": 0xCBF43926 (reveng CRC catalogue, "CRC-32/ISO-HDLC").
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export const CRC_NAME = "CRC-32/ISO-HDLC";
export const CRC_CHECK = 0xcbf43926;
export const CRC_BYTES = 4;

/** CRC-32/ISO-HDLC of `bytes[start, end)` as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
