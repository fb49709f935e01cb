/**
 * Reads `boot` and `seq` from an encoded device payload without decoding the rest: the keys
 * of a top-level CBOR map are scanned in order, and the scan stops once both are found (the
 * encoder writes `v, device, boot, seq` before the body). For a device keeping thousands of
 * sent messages, this is how it names each one without paying for a full decode.
 * Anything unexpected before both keys are found gives undefined; use `decodePayload` then.
 */

export interface EnvelopeIds {
  boot: string;
  seq: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function peekEnvelope(b: Uint8Array): EnvelopeIds | undefined {
  let i = 0;
  /** Reads an item head: major type and argument; advances i. undefined if unsupported. */
  const head = (): [number, number] | undefined => {
    if (i >= b.length) return undefined;
    const ib = b[i++]!;
    const major = ib >> 5;
    const info = ib & 0x1f;
    if (info < 24) return [major, info];
    if (info === 24) return i + 1 <= b.length ? [major, b[i++]!] : undefined;
    if (info === 25) {
      if (i + 2 > b.length) return undefined;
      const v = (b[i]! << 8) | b[i + 1]!;
      i += 2;
      return [major, v];
    }
    if (info === 26) {
      if (i + 4 > b.length) return undefined;
      const v = ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
      i += 4;
      return [major, v];
    }
    if (info === 27) {
      if (i + 8 > b.length) return undefined;
      let v = 0;
      for (let k = 0; k < 8; k++) v = v * 256 + b[i + k]!;
      i += 8;
      return Number.isSafeInteger(v) ? [major, v] : undefined;
    }
    return undefined; // indefinite lengths and reserved values
  };
  const text = (): string | undefined => {
    const h = head();
    if (!h || h[0] !== 3 || i + h[1] > b.length) return undefined;
    try {
      const s = utf8.decode(b.subarray(i, i + h[1]));
      i += h[1];
      return s;
    } catch {
      return undefined;
    }
  };
  const m = head();
  if (!m || m[0] !== 5) return undefined;
  let boot: string | undefined;
  let seq: number | undefined;
  for (let n = 0; n < m[1]; n++) {
    const key = text();
    if (key === undefined) return undefined;
    if (key === "boot") {
      boot = text();
      if (boot === undefined) return undefined;
    } else if (key === "seq") {
      const h = head();
      if (!h || h[0] !== 0) return undefined;
      seq = h[1];
    } else {
      // Only small scalars are skipped (v, device); anything else ends the scan.
      const h = head();
      if (!h) return undefined;
      if (h[0] === 3 || h[0] === 2) {
        if (i + h[1] > b.length) return undefined;
        i += h[1];
      } else if (h[0] !== 0 && h[0] !== 1) return undefined;
    }
    if (boot !== undefined && seq !== undefined) return { boot, seq };
  }
  return undefined;
}
