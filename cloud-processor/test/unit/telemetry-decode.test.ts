import { decodePayload, encodeCbor, encodePayload } from "@fieldline/firmware-contracts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeTelemetry } from "../../src/ingest/telemetry.ts";
import { readTelemetry } from "../../src/ingest/telemetry-cbor.ts";

/** Both decoders give the same answer: the same value, or the same reason and message. */
function same(bytes: Uint8Array): void {
  const want = decodePayload("telemetry", bytes);
  const fast = readTelemetry(bytes);
  if (fast !== undefined) {
    expect(want.ok).toBe(true);
    if (want.ok) expect(fast).toStrictEqual(want.value);
  }
  const got = decodeTelemetry(bytes);
  if (want.ok) {
    expect(got.ok).toBe(true);
    if (got.ok) expect(got.value).toStrictEqual(want.value);
  } else {
    expect(got.ok).toBe(false);
    if (!got.ok) {
      expect(got.error.reason).toBe(want.error.reason);
      expect(got.error.message).toBe(want.error.message);
    }
  }
}

/** A small PRNG so one fast-check seed picks every encoding choice. */
function prng(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * CBOR the way any device might write it: integers in any width, floats as float16/32/64,
 * definite or indefinite maps and arrays, now and then an explicit undefined, a tag, a
 * repeated key or a trailing byte. (cbor-x itself writes one form of each.)
 */
function anyCbor(value: unknown, rnd: () => number): Uint8Array {
  const out: number[] = [];
  const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  const head = (major: number, n: number) => {
    const min = n < 24 ? 0 : n < 256 ? 1 : n < 65536 ? 2 : n < 2 ** 32 ? 3 : 4;
    const w = rnd() < 0.8 ? min : min + Math.floor(rnd() * (5 - min));
    const m = major << 5;
    if (w === 0) out.push(m | n);
    else if (w === 1) out.push(m | 24, n);
    else if (w === 2) out.push(m | 25, n >> 8, n & 255);
    else if (w === 3) out.push(m | 26, ...u32(n));
    else out.push(m | 27, ...u32(Math.floor(n / 2 ** 32)), ...u32(n % 2 ** 32));
  };
  const float = (v: number) => {
    const r = rnd();
    const dv = new DataView(new ArrayBuffer(8));
    if (r < 0.1) out.push(0xf9, Math.floor(rnd() * 256), Math.floor(rnd() * 256));
    else if (r < 0.5 && (Math.fround(v) === v || Number.isNaN(v))) {
      dv.setFloat32(0, v);
      out.push(0xfa, ...new Uint8Array(dv.buffer, 0, 4));
    } else {
      dv.setFloat64(0, v);
      out.push(0xfb, ...new Uint8Array(dv.buffer));
    }
  };
  const item = (x: unknown): void => {
    if (rnd() < 0.01) head(6, Math.floor(rnd() * 40));
    if (typeof x === "number") {
      // Integers up to 2^64 as CBOR integers, unsafe ones included (+-2^53 and beyond).
      if (Number.isInteger(x) && Math.abs(x) < 2 ** 64 && !Object.is(x, -0) && rnd() < 0.9) {
        if (x >= 0) head(0, x);
        else head(1, -1 - x);
      } else float(x);
    } else if (typeof x === "string") {
      const b = new TextEncoder().encode(x);
      head(3, b.length);
      out.push(...b);
    } else if (x === undefined) out.push(0xf7);
    else if (x === null) out.push(0xf6);
    else if (typeof x === "boolean") out.push(x ? 0xf5 : 0xf4);
    else if (Array.isArray(x)) {
      const indefinite = rnd() < 0.05;
      if (indefinite) out.push(0x9f);
      else head(4, x.length);
      for (const e of x) item(e);
      if (indefinite) out.push(0xff);
    } else {
      const entries = Object.entries(x as object).filter(([, v]) => v !== undefined || rnd() < 0.5);
      if (entries.length > 0 && rnd() < 0.02) entries.push(entries[0]!);
      const indefinite = rnd() < 0.05;
      if (indefinite) out.push(0xbf);
      else head(5, entries.length);
      for (const [k, v] of entries) {
        item(k);
        item(v);
      }
      if (indefinite) out.push(0xff);
    }
  };
  item(value);
  if (rnd() < 0.02) out.push(0);
  return Uint8Array.from(out);
}

const idChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-".split("");
const anId = fc.string({ unit: fc.constantFrom(...idChars), minLength: 1, maxLength: 64 });
/** Mostly valid, sometimes a near miss or the wrong type. */
const or = <T>(valid: fc.Arbitrary<T>, ...invalid: fc.Arbitrary<unknown>[]) =>
  fc.oneof({ arbitrary: valid, weight: 8 }, ...invalid.map((a) => ({ arbitrary: a, weight: 1 })));
const junk = fc.oneof(fc.constant(null), fc.boolean(), fc.string({ maxLength: 4 }), fc.double(), fc.array(fc.nat(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 3 }), fc.nat(), { maxKeys: 2 }));
const badId = fc.oneof(fc.constant(""), fc.constant("a".repeat(65)), fc.constant("a b"), fc.constant("ä"), fc.string({ maxLength: 6 }));
const anInt = fc.oneof(fc.maxSafeInteger(), fc.constantFrom(0, -1, 2 ** 32, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53 - 1)));
const badInt = fc.oneof(fc.constantFrom(2 ** 53, -(2 ** 53), 2 ** 60, -(2 ** 60), 1.5, -0.5, NaN, Infinity, -Infinity, 1e300), fc.double());
const aValue = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 0, 1e21, 5e-324, -1e-7, 2 ** 53));
const extra = fc.dictionary(fc.constantFrom("x", "extra", "unit", "Q", "tt"), junk, { maxKeys: 2 });

const aReading = fc
  .record(
    {
      sensor: or(anId, badId, junk),
      t: or(anInt, badInt, junk),
      value: or(aValue, junk),
      q: or(fc.constantFrom(0, 1, 2), fc.constantFrom(-1, 3, 0.5, NaN), junk),
    },
    { requiredKeys: [] },
  )
  .chain((r) => fc.oneof({ arbitrary: fc.constant(r), weight: 9 }, { arbitrary: extra.map((e) => ({ ...r, ...e })), weight: 1 }));

const aTelemetry = fc
  .record(
    {
      v: or(fc.constant(1), fc.constantFrom(0, 2, "1"), junk),
      device: or(anId, badId, junk),
      boot: or(fc.string({ minLength: 1, maxLength: 64 }), fc.constantFrom("", "b".repeat(65)), junk),
      seq: or(fc.maxSafeNat(), fc.constantFrom(-1, 0.5, 2 ** 53), junk),
      readings: or(fc.array(aReading, { maxLength: 8 }), junk, fc.constant(Array.from({ length: 1001 }, () => ({ sensor: "s", t: 1, value: 1 })))),
    },
    { requiredKeys: [] },
  )
  .chain((r) => fc.oneof({ arbitrary: fc.constant(r), weight: 9 }, { arbitrary: extra.map((e) => ({ ...r, ...e })), weight: 1 }));

describe("decodeTelemetry agrees with decodePayload (the zod schema of record)", () => {
  it("on generated payloads, valid and invalid", () => {
    fc.assert(
      fc.property(aTelemetry, fc.integer(), (msg, seed) => {
        same(encodeCbor(msg));
        same(anyCbor(msg, prng(seed)));
      }),
      { numRuns: 3000 },
    );
  });

  it("on valid payloads, and each with one field broken, removed or added", () => {
    const valid = fc.record({
      v: fc.constant(1),
      device: anId,
      boot: fc.string({ minLength: 1, maxLength: 64 }),
      seq: fc.maxSafeNat(),
      readings: fc.array(
        fc.record({ sensor: anId, t: anInt, value: aValue, q: fc.constantFrom(0, 1, 2) }, { requiredKeys: ["sensor", "t", "value"] }),
        { minLength: 1, maxLength: 20 },
      ),
    });
    const bad: Record<string, fc.Arbitrary<unknown>> = {
      v: fc.oneof(fc.constantFrom(0, 2, "1", 1.5), junk),
      device: fc.oneof(badId, junk),
      boot: fc.oneof(fc.constantFrom("", "b".repeat(65)), junk),
      seq: fc.oneof(fc.constantFrom(-1, 0.5, 2 ** 53, NaN, Infinity), junk),
      readings: fc.oneof(junk, fc.constant(Array.from({ length: 1001 }, () => ({ sensor: "s", t: 1, value: 1 })))),
      sensor: fc.oneof(badId, junk),
      t: fc.oneof(badInt, junk),
      value: fc.oneof(junk, fc.constantFrom("1", true, null)),
      q: fc.oneof(fc.constantFrom(-1, 3, 0.5, NaN, Infinity, 2 ** 53), junk),
    };
    const edit = fc.record({
      key: fc.constantFrom(...Object.keys(bad), "x"),
      how: fc.constantFrom("break", "remove", "add"),
      at: fc.nat(),
      seed: fc.nat(),
    });
    fc.assert(
      fc.property(valid, edit, fc.integer(), fc.context(), (generated, e, seed, ctx) => {
        const msg = structuredClone(generated);
        const bytes = encodeCbor(msg);
        // What devices send (shortest forms, float64 values) takes the fast reader.
        expect(readTelemetry(bytes)).toBeDefined();
        same(bytes);
        same(anyCbor(msg, prng(seed)));
        const top = ["v", "device", "boot", "seq", "readings"].includes(e.key);
        const target: Record<string, unknown> = top ? (msg as Record<string, unknown>) : msg.readings[e.at % msg.readings.length]!;
        if (e.how === "remove") delete target[e.key];
        else if (e.how === "add" || !bad[e.key]) target[e.key === "x" ? "x" : e.key + "_"] = e.seed;
        else target[e.key] = fc.sample(bad[e.key]!, { numRuns: 1, seed: e.seed })[0];
        ctx.log(JSON.stringify(target));
        same(encodeCbor(msg));
        same(anyCbor(msg, prng(seed)));
      }),
      { numRuns: 3000 },
    );
  });

  it("on corrupted and random bytes", () => {
    const good = encodePayload("telemetry", { v: 1, device: "dev-1", boot: "b0", seq: 7, readings: [{ sensor: "s1", t: 1_700_000_000_000, value: 21.5, q: 1 }] });
    fc.assert(
      fc.property(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const bytes = good.slice();
        bytes[at] = byte;
        same(bytes);
        same(good.subarray(0, at));
      }),
      { numRuns: 1000 },
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => same(bytes)), { numRuns: 500 });
    same(new Uint8Array(0));
    same(new Uint8Array(256 * 1024 + 1));
  });

  it("an optional key present as CBOR undefined goes through zod, which keeps the key", () => {
    // {v:1, device:"d", boot:"b", seq:0, readings:[{sensor:"s", t:1, value:1.5, q:undefined}]}
    const bytes = Uint8Array.from(Buffer.from("a561760166646576696365616464626f6f74616263736571006872656164696e677381a46673656e736f7261736174016576616c7565fb3ff80000000000006171f7", "hex"));
    const r = decodePayload("telemetry", bytes);
    expect(r.ok).toBe(true);
    same(bytes);
  });

  it("at the schema's bounds, integers written as CBOR integers however large", () => {
    const base = () => ({ v: 1, device: "dev", boot: "b", seq: 1, readings: [{ sensor: "s", t: 1, value: 1.5 }] as Record<string, unknown>[] });
    const cases: Record<string, unknown>[] = [];
    const big = [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53, -(2 ** 53), 2 ** 53 + 2, 2 ** 64 - 2 ** 11, -(2 ** 63), 2 ** 32, -(2 ** 32) - 1];
    for (const t of big) cases.push({ ...base(), readings: [{ sensor: "s", t, value: 1 }] });
    for (const value of big) cases.push({ ...base(), readings: [{ sensor: "s", t: 1, value }] });
    for (const seq of [0, -1, ...big]) cases.push({ ...base(), seq });
    for (const q of [0, 1, 2, 3, -1]) cases.push({ ...base(), readings: [{ sensor: "s", t: 1, value: 1, q }] });
    for (const n of [0, 1, 64, 65]) cases.push({ ...base(), boot: "b".repeat(n) }, { ...base(), device: "d".repeat(n) }, { ...base(), readings: [{ sensor: "s".repeat(n), t: 1, value: 1 }] });
    for (const n of [0, 1000, 1001]) cases.push({ ...base(), readings: Array.from({ length: n }, (_, i) => ({ sensor: "s", t: i, value: i / 3 })) });
    for (const v of [0, 1, 2, -1]) cases.push({ ...base(), v });
    for (const msg of cases) same(anyCbor(msg, () => 0.5));
  });

  it("a telemetry payload with non-finite values and -0 decodes the same", () => {
    same(encodeCbor({ v: 1, device: "d", boot: "b", seq: 0, readings: [{ sensor: "s", t: -0, value: NaN }, { sensor: "s", t: 2, value: -Infinity, q: 0 }, { sensor: "s", t: 3, value: -0 }] }));
  });
});
