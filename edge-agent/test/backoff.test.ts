import { describe, expect, it } from "vitest";
import { Backoff } from "../src/uplink/backoff";

describe("Backoff", () => {
  it("doubles its ceiling up to maxMs, with full jitter, and never goes below initial/2", () => {
    const hi = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5, 6].map(() => hi.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    const lo = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    expect([1, 2, 3].map(() => lo.next())).toEqual([50, 50, 50]);
  });

  it("starts over after reset()", () => {
    const b = new Backoff({ initialMs: 10, maxMs: 10_000, random: () => 0.999999 });
    for (let i = 0; i < 5; i++) b.next();
    b.reset();
    expect(b.next()).toBe(10);
  });
});
