import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodePayload, peekEnvelope } from "../src";
import { encodeCbor } from "../src/cbor";
import { aPayload } from "./arbitraries";

describe("peekEnvelope", () => {
  for (const kind of ["telemetry", "events", "commandResults", "reportedConfig", "state"] as const) {
    it(`reads boot and seq of any ${kind} payload the encoder writes`, () => {
      fc.assert(
        fc.property(aPayload[kind], (p) => {
          expect(peekEnvelope(encodePayload(kind, p as never))).toEqual({ boot: p.boot, seq: p.seq });
        }),
        { numRuns: 200, seed: 5 },
      );
    });
  }

  it("finds them in any key order, and gives up on what it cannot skip", () => {
    expect(peekEnvelope(encodeCbor({ seq: 7, v: 1, boot: "b" }))).toEqual({ boot: "b", seq: 7 });
    expect(peekEnvelope(encodeCbor({ readings: [], boot: "b", seq: 1 }))).toBeUndefined();
    expect(peekEnvelope(encodeCbor({ v: 1, boot: "b" }))).toBeUndefined();
    expect(peekEnvelope(encodeCbor({ boot: 3, seq: 1 }))).toBeUndefined();
    expect(peekEnvelope(encodeCbor({ boot: "b", seq: -1 }))).toBeUndefined();
    expect(peekEnvelope(encodeCbor([1, 2]))).toBeUndefined();
  });

  it("never throws on arbitrary or truncated bytes", () => {
    const good = encodePayload("telemetry", { v: 1, device: "d", boot: "b0", seq: 70000, readings: [] });
    for (let n = 0; n < good.length; n++) expect(() => peekEnvelope(good.subarray(0, n))).not.toThrow();
    expect(peekEnvelope(good)).toEqual({ boot: "b0", seq: 70000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => void peekEnvelope(bytes)), { numRuns: 2000, seed: 9 });
  });
});
