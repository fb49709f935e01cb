import { describe, expect, it } from "vitest";
import { Backoff } from "../../src/inputs/serial/backoff";

describe("Backoff", () => {
  it("doubles from initial up to max, with up to 25% jitter below the step, and resets", () => {
    const none = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0);
    expect([1, 2, 3, 4, 5, 6].map(() => none.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    none.reset();
    expect(none.next()).toBe(100);
    const full = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 1);
    expect([1, 2, 3].map(() => full.next())).toEqual([75, 150, 300]);
    expect(full.attempts).toBe(3);
  });

  it("never overflows after many attempts", () => {
    const b = new Backoff({ initialMs: 200, maxMs: 5000 }, () => 0.5);
    for (let i = 0; i < 2000; i++) b.next();
    expect(b.next()).toBe(4375);
  });
});
