import { describe, expect, it } from "vitest";
import { encode, decode } from "cbor-x";

describe("cbor-x", () => {
  it("round-trips a map in standard CBOR", () => {
    expect(decode(encode({ a: 1 }))).toEqual({ a: 1 });
  });
});
