import { describe, expect, it } from "vitest";
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from "./cobs";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const range = (from: number, to: number) =>
  Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

// Examples from the COBS paper and the Wikipedia article's table (encoded without delimiter).
const examples: [string, Uint8Array, string][] = [
  ["empty", new Uint8Array(0), "01"],
  ["one zero", bytes("00"), "0101"],
  ["two zeros", bytes("0000"), "010101"],
  ["00 11 00", bytes("001100"), "01021101"],
  ["11 22 00 33", bytes("11220033"), "03112202 33".replace(" ", "")],
  ["11 22 33 44", bytes("11223344"), "0511223344"],
  ["11 00 00 00", bytes("11000000"), "0211010101"],
  ["01..FE (254 bytes)", range(1, 254), "ff" + hex(range(1, 254))],
  ["00..FE (255 bytes)", range(0, 254), "01ff" + hex(range(1, 254))],
  ["01..FF (255 bytes)", range(1, 255), "ff" + hex(range(1, 254)) + "02ff"],
  [
    "02..FF 00 (255 bytes)",
    Uint8Array.from([...range(2, 255), 0]),
    "ff" + hex(range(2, 255)) + "0101",
  ],
  [
    "03..FF 00 01 (255 bytes)",
    Uint8Array.from([...range(3, 255), 0, 1]),
    "fe" + hex(range(3, 255)) + "0201",
  ],
];

describe("COBS", () => {
  it.each(examples)("encodes and decodes %s", (_name, raw, encoded) => {
    expect(hex(cobsEncode(raw))).toBe(encoded);
    expect(hex(cobsDecode(bytes(encoded))!)).toBe(hex(raw));
    expect(cobsEncode(raw).length).toBeLessThanOrEqual(cobsMaxEncodedLength(raw.length));
  });

  it("never emits a zero byte", () => {
    const raw = Uint8Array.from({ length: 2000 }, (_, i) => ((i * 7) % 3 === 0 ? 0 : i & 0xff));
    expect(cobsEncode(raw).includes(0)).toBe(false);
  });

  it("rejects a code byte that runs past the end, and embedded zeros", () => {
    expect(cobsDecode(bytes("05112233"))).toBeUndefined();
    expect(cobsDecode(bytes("031100"))).toBeUndefined();
    expect(cobsDecode(bytes("00"))).toBeUndefined();
  });
});
