/** The README's worked example and limits are what the code does. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CRC_CHECK,
  MAX_FRAME_BYTES,
  MAX_WIRE_BYTES,
  MIN_FRAME_BYTES,
  encodeFrame,
} from "../src/serial";

const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");

describe("README", () => {
  it("shows the bytes encodeFrame writes for the worked example", () => {
    const wire = encodeFrame({
      type: "readings",
      seq: 1,
      body: { readings: [{ sensor: "temp", value: 21.5, t: 1500 }] },
    });
    const shown = /In full: `([0-9a-f]+)`/.exec(readme)?.[1];
    expect(shown).toBe(Buffer.from(wire).toString("hex"));
    expect(wire.length).toBe(54);
    expect(readme).toContain("4e e4 cc 2d        CRC-32/ISO-HDLC");
  });

  it("states the CRC check value and the size limits", () => {
    expect(readme).toContain(`0x${CRC_CHECK.toString(16).toUpperCase()}`);
    const row = (label: string, value: number) =>
      new RegExp(`\\| ${label.replace(/[.()]/g, "\\$&")}\\s*\\| ${value} bytes`);
    expect(readme).toMatch(row("frame before COBS (version..crc)", MAX_FRAME_BYTES));
    expect(readme).toMatch(row("frame on the wire incl. delimiter", MAX_WIRE_BYTES));
    expect(readme).toMatch(row("smallest valid frame", MIN_FRAME_BYTES));
  });
});
