import { describe, expect, it } from "vitest";
import { CRC_CHECK, crc32 } from "./crc32";

const ascii = (s: string) => new TextEncoder().encode(s);

describe("CRC-32/ISO-HDLC", () => {
  it("matches the published check value for '123456789'", () => {
    expect(crc32(ascii("123456789"))).toBe(0xcbf43926);
    expect(CRC_CHECK).toBe(0xcbf43926);
  });

  it("matches zlib on a few more inputs", async () => {
    const { crc32: zlibCrc32 } = await import("node:zlib");
    for (const s of [
      "",
      "a",
      "The quick brown fox jumps over the lazy dog",
      "\u0000\u00ff".repeat(300),
    ]) {
      expect(crc32(ascii(s))).toBe(zlibCrc32(ascii(s)));
    }
  });

  it("computes over a sub-range", () => {
    const b = ascii("xx123456789yy");
    expect(crc32(b, 2, 11)).toBe(0xcbf43926);
  });
});
