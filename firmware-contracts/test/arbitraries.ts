/** fast-check arbitraries for valid frames and payloads (shared by the property tests). */
import fc from "fast-check";
import type { PayloadOf, TopicKind } from "../src";
import type { FrameInput } from "../src/serial";

const idChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-".split("");
export const anId = fc.string({ unit: fc.constantFrom(...idChars), minLength: 1, maxLength: 64 });
/** CBOR has one integer 0, so -0 travels as 0; sensor values never distinguish them. */
export const aValue = fc.double().map((v) => (Object.is(v, -0) ? 0 : v));
export const aQuality = fc.constantFrom(0, 1, 2);
export const aMillis = fc.maxSafeInteger();
export const aMcuMillis = fc.maxSafeNat();
export const aSeq = fc.maxSafeNat();
/** Any Unicode text; schemas limit UTF-16 length, so astral characters count twice. */
const aText = (maxLength: number) =>
  fc.string({ maxLength, unit: "binary" }).filter((s) => s.length <= maxLength);
const aName = (maxLength: number) => fc.string({ minLength: 1, maxLength });

/** JSON-like values for free-form fields (args, data, result); -0 excluded as above. */
const aLeaf = fc.oneof(
  fc.boolean(),
  fc.constant(null),
  fc.maxSafeInteger(),
  aValue,
  fc.string({ maxLength: 20 }),
);
const aKey = fc.string({ maxLength: 10 }).filter((k) => k !== "__proto__");
export const aRecord = fc.dictionary(
  aKey,
  fc.oneof(aLeaf, fc.array(aLeaf, { maxLength: 4 }), fc.dictionary(aKey, aLeaf, { maxKeys: 3 })),
  { maxKeys: 5 },
);

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** Drops undefined fields: what a decoder gives back. */
export function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const aReading = fc
  .record({ sensor: anId, value: aValue, t: optional(aMcuMillis), q: optional(aQuality) })
  .map(clean);
const aCommandId = fc.oneof(fc.nat({ max: 0xffffffff }), aName(64));

export const aFrame: fc.Arbitrary<FrameInput> = fc.oneof(
  fc.record({
    type: fc.constant("readings" as const),
    seq: fc.nat({ max: 0xffff }),
    body: fc.record({ readings: fc.array(aReading, { maxLength: 32 }) }),
  }),
  fc.record({
    type: fc.constant("hello" as const),
    seq: fc.nat({ max: 0xffff }),
    body: fc
      .record({
        firmware: aName(64),
        hardware: optional(aText(16)),
        sensors: fc.array(
          fc.record({ id: anId, unit: aText(4), kind: optional(aName(16)) }).map(clean),
          { maxLength: 8 },
        ),
      })
      .map(clean),
  }),
  fc.record({
    type: fc.constant("event" as const),
    seq: fc.nat({ max: 0xffff }),
    body: fc
      .record({
        type: aName(32),
        code: optional(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 })),
        message: optional(aText(64)),
        severity: optional(
          fc.constantFrom("info" as const, "warning" as const, "critical" as const),
        ),
        sensor: optional(anId),
        t: optional(aMcuMillis),
      })
      .map(clean),
  }),
  fc.record({
    type: fc.constant("command" as const),
    seq: fc.nat({ max: 0xffff }),
    body: fc.record({ id: aCommandId, name: aName(32), args: optional(aRecord) }).map(clean),
  }),
  fc.record({
    type: fc.constant("ack" as const),
    seq: fc.nat({ max: 0xffff }),
    body: fc
      .record({
        id: aCommandId,
        ok: fc.boolean(),
        error: optional(aText(64)),
        result: optional(aRecord),
      })
      .map(clean),
  }),
);

const envelope = { v: fc.constant(1 as const), device: anId, boot: aName(64), seq: aSeq };
const aSeverity = fc.constantFrom("info" as const, "warning" as const, "critical" as const);

export const aPayload: { [K in TopicKind]: fc.Arbitrary<PayloadOf<K>> } = {
  telemetry: fc.record({
    ...envelope,
    readings: fc.array(
      fc.record({ sensor: anId, t: aMillis, value: aValue, q: optional(aQuality) }).map(clean),
      { maxLength: 50 },
    ),
  }),
  state: fc
    .record({
      ...envelope,
      t: aMillis,
      status: fc.constantFrom("online" as const, "offline" as const),
      agent: optional(aText(16)),
      firmware: optional(aText(16)),
    })
    .map(clean),
  events: fc
    .record({
      ...envelope,
      t: aMillis,
      type: aName(64),
      severity: optional(aSeverity),
      rule: optional(anId),
      message: optional(aText(100)),
      data: optional(aRecord),
    })
    .map(clean),
  alerts: fc
    .record({
      v: fc.constant(1 as const),
      id: aName(128),
      site: anId,
      device: anId,
      rule: anId,
      state: fc.constantFrom(
        "raised" as const,
        "updated" as const,
        "acknowledged" as const,
        "cleared" as const,
      ),
      severity: aSeverity,
      t: aMillis,
      raisedAt: aMillis,
      message: optional(aText(100)),
      value: optional(aValue),
      score: optional(
        fc.double({ min: 0, max: 1, noNaN: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
      ),
      ackBy: optional(aText(32)),
    })
    .map(clean),
  commands: fc
    .record({
      v: fc.constant(1 as const),
      id: aName(128),
      device: anId,
      t: aMillis,
      name: aName(64),
      args: optional(aRecord),
    })
    .map(clean),
  commandResults: fc
    .record({
      ...envelope,
      id: aName(128),
      t: aMillis,
      ok: fc.boolean(),
      result: optional(aRecord),
      error: optional(aText(100)),
    })
    .map(clean),
  desiredConfig: fc.record({
    v: fc.constant(1 as const),
    version: fc.maxSafeNat(),
    t: aMillis,
    rules: fc.string({ maxLength: 500 }),
  }),
  reportedConfig: fc
    .record({
      ...envelope,
      t: aMillis,
      version: fc.maxSafeNat(),
      ok: fc.boolean(),
      error: optional(aText(100)),
    })
    .map(clean),
  stored: fc.record({
    v: fc.constant(1 as const),
    device: anId,
    boot: aName(64),
    t: aMillis,
    // ascending, non-overlapping inclusive ranges built from gaps and lengths
    seqs: fc
      .array(fc.tuple(fc.nat(1000), fc.nat(1000)), { minLength: 1, maxLength: 20 })
      .map((parts) => {
        const out: [number, number][] = [];
        let at = 0;
        for (const [gap, len] of parts) {
          const from = at + gap;
          out.push([from, from + len]);
          at = from + len + 1;
        }
        return out;
      }),
  }),
};
