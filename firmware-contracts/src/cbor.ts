/**
 * Standard CBOR (RFC 8949) in and out, with the cbor-x defaults that break other decoders
 * turned off: no records (tag 57343), no tagged typed arrays, preferred (shortest) map and
 * array headers. cbor-x writes integers >= 2^32 as float64; we hand it BigInts for those so
 * millisecond timestamps stay CBOR integers (major type 0/1), and decode 64-bit integers back
 * to plain numbers.
 */
import { Encoder } from "cbor-x";

const codec = new Encoder({
  useRecords: false,
  tagUint8Array: false,
  mapsAsObjects: true,
  variableMapSize: true,
  // Not in cbor-x's typings, read by its decoder: 64-bit integers come back as numbers.
  ...({ int64AsNumber: true } as object),
});

const TWO_32 = 2 ** 32;

/** Copies `value`, turning integral numbers outside +-2^32 into BigInts so they encode as ints. */
function widenIntegers(value: unknown): unknown {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && (value >= TWO_32 || value < -TWO_32)
      ? BigInt(value)
      : value;
  }
  if (Array.isArray(value)) return value.map(widenIntegers);
  if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = widenIntegers(v);
    return out;
  }
  return value;
}

export function encodeCbor(value: unknown): Uint8Array {
  return codec.encode(widenIntegers(value));
}

export class CborError extends Error {
  override name = "CborError";
}

/** Decodes exactly one CBOR data item; trailing bytes or malformed input throw CborError. */
export function decodeCbor(bytes: Uint8Array): unknown {
  if (bytes.length === 0) throw new CborError("empty CBOR input");
  let items: unknown[];
  try {
    items = codec.decodeMultiple(bytes) as unknown[];
  } catch (err) {
    throw new CborError(`malformed CBOR: ${(err as Error).message}`);
  }
  if (!Array.isArray(items) || items.length !== 1) {
    throw new CborError(
      `expected one CBOR data item, found ${Array.isArray(items) ? items.length : 0}`,
    );
  }
  return items[0];
}
