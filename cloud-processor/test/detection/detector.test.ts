import { describe, expect, it } from "vitest";
import { ALERT_THRESHOLD, defaultDetector } from "../../src/detection/index.ts";

function series(n: number, seed = 1): number[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, (_, i) => 10 + 3 * Math.sin((2 * Math.PI * i) / 48) + rand());
}

describe("default detector", () => {
  it("scores every point in [0, 1]", () => {
    const d = defaultDetector.create();
    for (const [i, v] of series(3000).entries()) {
      const s = d.score(i * 60_000, v);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }
  });

  it("a restored snapshot gives identical subsequent scores (through JSON)", () => {
    const xs = series(4000, 7);
    xs[3000] = 40;
    const a = defaultDetector.create();
    for (let i = 0; i < 2000; i++) a.score(i * 60_000, xs[i]!);
    const b = defaultDetector.restore(JSON.parse(JSON.stringify(a.snapshot())));
    for (let i = 2000; i < xs.length; i++) expect(b.score(i * 60_000, xs[i]!)).toBe(a.score(i * 60_000, xs[i]!));
  });

  it("state stays the same size however long the series (constant memory)", () => {
    const d = defaultDetector.create();
    const xs = series(20_000, 3);
    const sizes: number[] = [];
    xs.forEach((v, i) => {
      d.score(i * 60_000, v);
      if (i === 5_000 || i === 19_999) sizes.push(JSON.stringify(d.snapshot()).length);
    });
    expect(sizes[1]! / sizes[0]!).toBeLessThan(1.2);
  });

  it("fires on a clear level shift and stays quiet on the regular pattern before it", () => {
    const xs = series(3000, 5);
    for (let i = 2500; i < 3000; i++) xs[i]! += 15;
    const d = defaultDetector.create();
    const fired = xs.map((v, i) => d.score(i * 60_000, v) >= ALERT_THRESHOLD);
    expect(fired.slice(2500, 2520).some(Boolean)).toBe(true);
    expect(fired.slice(1000, 2500).filter(Boolean).length).toBeLessThanOrEqual(2);
  });
});

describe("default detector, bad input", () => {
  it("scores NaN and Infinity 0 and carries on as if they had not arrived", () => {
    const xs = series(1500, 11);
    const a = defaultDetector.create();
    const b = defaultDetector.create();
    xs.forEach((v, i) => {
      if (i % 100 === 50) {
        expect(b.score(i * 60_000, Number.NaN)).toBe(0);
        expect(b.score(i * 60_000, Infinity)).toBe(0);
      }
      expect(b.score(i * 60_000, v)).toBe(a.score(i * 60_000, v));
    });
  });
});

describe("default detector, false alarms on normal behaviour", () => {
  // Operators mute a detector that cries wolf: ordinary series must stay (almost) silent.
  let seed = 3;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const cases: Array<[string, (i: number) => number, number]> = [
    ["white noise", () => rnd(), 0],
    ["daily cycle with a slow trend", (i) => Math.sin((2 * Math.PI * i) / 288) + i * 0.0005 + 0.1 * rnd(), 0],
    ["monotonic counter", (i) => i * 5 + Math.floor(rnd() * 3), 0],
    ["noisy ramp", (i) => i * 0.01 + rnd(), 3],
  ];
  for (const [name, f, most] of cases)
    it(`${name}: at most ${most} alerts in 10,000 points`, () => {
      const d = defaultDetector.create();
      let alerts = 0;
      for (let i = 0; i < 10_000; i++) if (d.score(i * 60_000, f(i)) >= ALERT_THRESHOLD) alerts++;
      expect(alerts).toBeLessThanOrEqual(most);
    });
});
