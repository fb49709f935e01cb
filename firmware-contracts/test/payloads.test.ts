import { describe, expect, it } from "vitest";
import { decodePayload, encodePayload, encodeCbor, type Telemetry } from "../src";

const batch: Telemetry = {
  v: 1,
  device: "pump-7",
  boot: "9f2c4e1a7b3d5e60",
  seq: 42,
  readings: [
    { sensor: "temp", t: 1_700_000_000_123, value: 23.7 },
    { sensor: "pressure", t: 1_700_000_000_124, value: -1.5, q: 1 },
    { sensor: "flow", t: 1_700_000_000_125, value: Number.NaN },
    { sensor: "flow", t: 1_700_000_000_126, value: Number.POSITIVE_INFINITY },
  ],
};

describe("payload codec", () => {
  it("round-trips a telemetry batch with NaN, infinity and 64-bit timestamps", () => {
    const out = decodePayload("telemetry", encodePayload("telemetry", batch));
    expect(out.ok && out.value).toEqual(batch);
  });

  it("writes millisecond timestamps as CBOR integers, not floats", () => {
    const hex = Buffer.from(encodeCbor({ t: 1_700_000_000_123 })).toString("hex");
    // a1 61 74 1b <8 bytes>: map(1), "t", uint64
    expect(hex).toBe("a161741b0000018bcfe5687b");
  });

  it("ignores unknown fields", () => {
    const out = decodePayload("telemetry", encodeCbor({ ...batch, extra: { x: 1 } }));
    expect(out.ok && out.value).toEqual(batch);
  });

  it("rejects an unknown major version with a clear error", () => {
    const out = decodePayload("telemetry", encodeCbor({ ...batch, v: 2 }));
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.error.reason).toBe("version");
      expect(out.error.message).toMatch(/major version 2; this reader supports 1/);
    }
  });

  it("reports a bignum (CBOR tag 2) or huge version without throwing", () => {
    // Found by scripts/fuzz.ts: JSON.stringify threw on the BigInt while building the message.
    const bignum = Uint8Array.from([0xa1, 0x61, 0x76, 0xc2, 0x41, 0x01]); // {"v": 2(h'01')}
    const out = decodePayload("events", bignum);
    expect(!out.ok && out.error.reason).toBe("version");
    expect(!out.ok && out.error.message).toMatch(/major version "1n"/);
    const long = decodePayload("events", encodeCbor({ v: "x".repeat(10_000) }));
    expect(!long.ok && long.error.message.length).toBeLessThan(200);
  });

  it("reports, never throws on, garbage", () => {
    const out = decodePayload("telemetry", new Uint8Array([0xff, 0x00, 0x13]));
    expect(out.ok).toBe(false);
  });
});
