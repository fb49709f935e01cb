import { describe, expect, it } from "vitest";
import { toLine } from "../../src/sinks/line-protocol.ts";

describe("line protocol", () => {
  it("sorts tags, escapes, writes ms timestamps and float fields", () => {
    expect(
      toLine({ measurement: "tele metry", tags: { sensor: "t,1", device: "d=1", site: "s" }, fields: { value: 23.5, q: 1 }, t: 1700000000123 }),
    ).toBe("tele\\ metry,device=d\\=1,sensor=t\\,1,site=s value=23.5,q=1 1700000000123");
  });

  it("keeps full float64 precision and drops non-finite fields", () => {
    expect(toLine({ measurement: "m", tags: {}, fields: { value: 0.1 + 0.2, bad: NaN, fault: 1 }, t: 1 })).toBe(
      "m value=0.30000000000000004,fault=1 1",
    );
    expect(toLine({ measurement: "m", tags: {}, fields: { value: 1e300 }, t: 1 })).toBe("m value=1e+300 1");
  });

  it("refuses a point with no finite field", () => {
    expect(() => toLine({ measurement: "m", tags: {}, fields: { value: Infinity }, t: 1 })).toThrow(/no finite field/);
  });
});
