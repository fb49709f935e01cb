/**
 * Consistent Overhead Byte Stuffing (Cheshire & Baker, "Consistent Overhead Byte Stuffing",
 * IEEE/ACM Transactions on Networking 7(2), 1999). Removes every 0x00 from a packet so 0x00
 * can delimit packets on a byte stream. Overhead: one byte per 254 bytes, plus one.
 */

/** Largest encoded size of an `n`-byte packet (without the 0x00 delimiter). */
export function cobsMaxEncodedLength(n: number): number {
  return n + Math.max(1, Math.ceil(n / 254));
}

/** COBS-encodes `src`; the result holds no 0x00 (the caller appends the delimiter). */
export function cobsEncode(
  src: Uint8Array,
  out = new Uint8Array(cobsMaxEncodedLength(src.length)),
): Uint8Array {
  let codeAt = 0;
  let o = 1;
  let code = 1;
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
      continue;
    }
    out[o++] = b;
    code++;
    if (code === 0xff && i + 1 < src.length) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
    }
  }
  out[codeAt] = code;
  return out.subarray(0, o);
}

/**
 * Decodes one COBS packet (no delimiter). Returns the decoded length written to `out`, or a
 * negative number if the input is not valid COBS (a 0x00 inside, or a code byte that runs past
 * the end). `out` must hold at least `src.length` bytes.
 */
export function cobsDecodeInto(src: Uint8Array, srcLen: number, out: Uint8Array): number {
  let i = 0;
  let o = 0;
  while (i < srcLen) {
    const code = src[i]!;
    if (code === 0) return -1;
    const end = i + code;
    if (end > srcLen) return -2;
    for (let j = i + 1; j < end; j++) {
      const b = src[j]!;
      if (b === 0) return -1;
      out[o++] = b;
    }
    i = end;
    if (code !== 0xff && i < srcLen) out[o++] = 0;
  }
  return o;
}

/** Decodes one COBS packet; returns undefined if it is not valid COBS. */
export function cobsDecode(src: Uint8Array): Uint8Array | undefined {
  const out = new Uint8Array(src.length);
  const n = cobsDecodeInto(src, src.length, out);
  return n < 0 ? undefined : out.subarray(0, n);
}
