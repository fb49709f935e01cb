/**
 * A CBOR reader for the common telemetry payload only: straight from the bytes to the
 * Telemetry value, checking the schema as it goes. It answers only when it is sure the
 * general path (cbor-x, then the zod schema) would accept the payload and give an equal
 * value; for anything else (an unknown key, a tag, an indefinite length, a non-ASCII
 * string, a value the schema refuses, trailing bytes, ...) it returns undefined and the
 * caller takes the general path, which also words the rejections.
 *
 * Accepted: one definite-length map with exactly the keys v, device, boot, seq, readings
 * (any order); v the integer 1; device an id; boot 1-64 ASCII characters; seq a safe
 * non-negative integer; readings a definite array of at most MAX_BATCH_READINGS maps with
 * exactly sensor (an id), t (a safe integer), value (any integer or float16/32/64) and
 * optionally q (the integer 0, 1 or 2). Integers may use any width (cbor-x accepts
 * non-shortest forms too).
 */
import { MAX_BATCH_READINGS, SCHEMA_MAJOR, type Reading, type Telemetry } from "@fieldline/firmware-contracts";

const TWO_32 = 0x1_0000_0000;
/** Highest 32 bits a safe integer can have. */
const SAFE_HI = 0x1f_ffff;

/** The bit each key sets when seen (its index in TOP_KEYS / READING_KEYS; q is the fourth). */
const K_V = 1;
const K_DEVICE = 2;
const K_BOOT = 4;
const K_SEQ = 8;
const K_READINGS = 16;
const K_SENSOR = 1;
const K_T = 2;
const K_VALUE = 4;

/** A byte of an id (ID_PATTERN: A-Z a-z 0-9 _ . -). */
const ID_BYTE = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ID_BYTE[c.charCodeAt(0)] = 1;

/** Interned ids (sensor and device names repeat in every message): no string per reading. */
const INTERN_SLOTS = 1024;
const interned: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS).fill(undefined);

class Reader {
  p = 0;
  private readonly view: DataView;

  constructor(readonly b: Uint8Array) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  /**
   * Reads an item head of `major` type with a definite argument below 2^53 and returns the
   * argument; -1 if the next item is anything else.
   */
  head(major: number): number {
    const b = this.b;
    if (this.p >= b.length) return -1;
    const ib = b[this.p]!;
    if (ib >> 5 !== major) return -1;
    const ai = ib & 31;
    if (ai < 24) {
      this.p += 1;
      return ai;
    }
    const p = this.p + 1;
    switch (ai) {
      case 24:
        if (p + 1 > b.length) return -1;
        this.p = p + 1;
        return b[p]!;
      case 25:
        if (p + 2 > b.length) return -1;
        this.p = p + 2;
        return this.view.getUint16(p);
      case 26:
        if (p + 4 > b.length) return -1;
        this.p = p + 4;
        return this.view.getUint32(p);
      case 27: {
        if (p + 8 > b.length) return -1;
        const hi = this.view.getUint32(p);
        if (hi > SAFE_HI) return -1;
        this.p = p + 8;
        return hi * TWO_32 + this.view.getUint32(p + 4);
      }
      default:
        return -1;
    }
  }

  /**
   * A text string head: returns its length in bytes (they start at `p`), or -1. An 8-byte
   * length is refused: cbor-x's native string extractor (cbor-extract) rejects the whole
   * payload when it meets one.
   */
  text(): number {
    if (this.p < this.b.length && this.b[this.p] === 0x7b) return -1;
    const n = this.head(3);
    return n >= 0 && this.p + n <= this.b.length ? n : -1;
  }

  /** An id string (interned), or undefined. */
  id(): string | undefined {
    const n = this.text();
    const b = this.b;
    const start = this.p;
    if (n < 1 || n > 64) return undefined;
    let h = n;
    for (let i = start; i < start + n; i++) {
      const c = b[i]!;
      if (c >= 128 || ID_BYTE[c] === 0) return undefined;
      h = (Math.imul(h, 31) + c) | 0;
    }
    this.p = start + n;
    const slot = h & (INTERN_SLOTS - 1);
    const s = interned[slot];
    if (s !== undefined && s.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (s.charCodeAt(i) !== b[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return s;
    }
    const fresh = latin1(b, start, n);
    interned[slot] = fresh;
    return fresh;
  }

  /** A safe integer (major type 0 or 1), or undefined. */
  safeInt(): number | undefined {
    if (this.p >= this.b.length) return undefined;
    const major = this.b[this.p]! >> 5;
    if (major === 0) {
      const n = this.head(0);
      return n >= 0 ? n : undefined;
    }
    // -1 - arg must stay >= MIN_SAFE_INTEGER.
    if (major === 1) {
      const n = this.head(1);
      if (n >= 0 && n < Number.MAX_SAFE_INTEGER) return -1 - n;
    }
    return undefined;
  }

  /** Any number as cbor-x reads it: an integer of any width or a float16/32/64; else undefined. */
  number(): number | undefined {
    const b = this.b;
    if (this.p >= b.length) return undefined;
    const ib = b[this.p]!;
    const major = ib >> 5;
    if (major === 0 || major === 1) {
      if ((ib & 31) === 27) {
        // cbor-x (int64AsNumber) computes hi * 2^32 + lo, rounding above 2^53; do the same.
        const p = this.p + 1;
        if (p + 8 > b.length) return undefined;
        const v = this.view.getUint32(p) * TWO_32 + this.view.getUint32(p + 4);
        this.p = p + 8;
        return major === 0 ? v : -1 - v;
      }
      const n = this.head(major);
      if (n < 0) return undefined;
      return major === 0 ? n : -1 - n;
    }
    if (major !== 7) return undefined;
    const p = this.p + 1;
    switch (ib & 31) {
      case 25:
        if (p + 2 > b.length) return undefined;
        this.p = p + 2;
        return half(b[p]!, b[p + 1]!);
      case 26:
        if (p + 4 > b.length) return undefined;
        this.p = p + 4;
        return this.view.getFloat32(p);
      case 27:
        if (p + 8 > b.length) return undefined;
        this.p = p + 8;
        return this.view.getFloat64(p);
      default:
        return undefined;
    }
  }

  /** Which of `names` the next text key is (its bit), or 0. */
  key(names: readonly Uint8Array[]): number {
    const n = this.text();
    if (n < 0) return 0;
    const b = this.b;
    const start = this.p;
    outer: for (let k = 0; k < names.length; k++) {
      const name = names[k]!;
      if (name.length !== n) continue;
      for (let i = 0; i < n; i++) if (b[start + i] !== name[i]) continue outer;
      this.p = start + n;
      return 1 << k;
    }
    return 0;
  }
}

function latin1(b: Uint8Array, start: number, n: number): string {
  let s = "";
  for (let i = start; i < start + n; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** IEEE 754 half precision, exactly (every half is a float64). */
function half(b0: number, b1: number): number {
  const exp = (b0 & 0x7c) >> 2;
  const mant = ((b0 & 3) << 8) | b1;
  let v: number;
  if (exp === 0) v = mant * 2 ** -24;
  else if (exp === 31) v = mant === 0 ? Infinity : NaN;
  else v = (1024 + mant) * 2 ** (exp - 25);
  return b0 & 0x80 ? -v : v;
}

const enc = (s: string) => new TextEncoder().encode(s);
const TOP_KEYS = ["v", "device", "boot", "seq", "readings"].map(enc);
const READING_KEYS = ["sensor", "t", "value", "q"].map(enc);
const ALL_TOP = K_V | K_DEVICE | K_BOOT | K_SEQ | K_READINGS;
const REQUIRED_READING = K_SENSOR | K_T | K_VALUE;

/** The payload as Telemetry when it is the common valid shape (see above), else undefined. */
export function readTelemetry(bytes: Uint8Array): Telemetry | undefined {
  const r = new Reader(bytes);
  if (r.head(5) !== 5) return undefined;
  let seen = 0;
  let device: string | undefined;
  let boot: string | undefined;
  let seq: number | undefined;
  let readings: Reading[] | undefined;
  for (let i = 0; i < 5; i++) {
    const k = r.key(TOP_KEYS);
    if (k === 0 || seen & k) return undefined;
    seen |= k;
    switch (k) {
      case K_V:
        if (r.head(0) !== SCHEMA_MAJOR) return undefined;
        break;
      case K_DEVICE:
        device = r.id();
        if (device === undefined) return undefined;
        break;
      case K_BOOT:
        boot = asciiText(r);
        if (boot === undefined) return undefined;
        break;
      case K_SEQ:
        seq = r.head(0);
        if (seq < 0) return undefined;
        break;
      default:
        readings = readReadings(r);
        if (readings === undefined) return undefined;
    }
  }
  if (seen !== ALL_TOP || r.p !== bytes.length) return undefined;
  return { v: SCHEMA_MAJOR, device: device!, boot: boot!, seq: seq!, readings: readings! };
}

/** Boot id: 1-64 ASCII characters (others go the general path, which decodes UTF-8). */
function asciiText(r: Reader): string | undefined {
  const n = r.text();
  if (n < 1 || n > 64) return undefined;
  for (let i = r.p; i < r.p + n; i++) if (r.b[i]! >= 128) return undefined;
  const s = latin1(r.b, r.p, n);
  r.p += n;
  return s;
}

function readReadings(r: Reader): Reading[] | undefined {
  const n = r.head(4);
  if (n < 0 || n > MAX_BATCH_READINGS) return undefined;
  const out = new Array<Reading>(n);
  for (let i = 0; i < n; i++) {
    const entries = r.head(5);
    if (entries !== 3 && entries !== 4) return undefined;
    let seen = 0;
    let sensor: string | undefined;
    let t: number | undefined;
    let value: number | undefined;
    let q: number | undefined;
    for (let e = 0; e < entries; e++) {
      const k = r.key(READING_KEYS);
      if (k === 0 || seen & k) return undefined;
      seen |= k;
      switch (k) {
        case K_SENSOR:
          sensor = r.id();
          if (sensor === undefined) return undefined;
          break;
        case K_T:
          t = r.safeInt();
          if (t === undefined) return undefined;
          break;
        case K_VALUE:
          value = r.number();
          if (value === undefined) return undefined;
          break;
        default:
          q = r.head(0);
          if (q < 0 || q > 2) return undefined;
      }
    }
    if ((seen & REQUIRED_READING) !== REQUIRED_READING) return undefined;
    out[i] = q === undefined ? { sensor: sensor!, t: t!, value: value! } : { sensor: sensor!, t: t!, value: value!, q };
  }
  return out;
}
