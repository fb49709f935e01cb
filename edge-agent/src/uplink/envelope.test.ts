import { describe, expect, it } from "vitest";
import { Envelope } from "./envelope";

describe("Envelope", () => {
  it("numbers each kind of message on its own, from 0 without a gap", () => {
    const e = new Envelope("dev", "boot1");
    expect(e.next("telemetry").seq).toBe(0);
    expect(e.next("events").seq).toBe(0);
    expect(e.next("telemetry").seq).toBe(1);
    expect(e.next("state").seq).toBe(0);
    expect(e.next("events").seq).toBe(1);
    expect(e.next("telemetry")).toEqual({ v: 1, device: "dev", boot: "boot1", seq: 2 });
    expect(e.issued("telemetry")).toBe(3);
    expect(e.issued("commandResults")).toBe(0);
  });

  it("picks a new random boot id at every start", () => {
    expect(new Envelope("dev").boot).not.toBe(new Envelope("dev").boot);
  });
});
