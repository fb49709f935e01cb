import { describe, expect, it } from "vitest";
import { Ring } from "../../src/detection/ring.ts";
import { Likelihood, erfc } from "../../src/detection/calibrate.ts";
import { KnnScale } from "../../src/detection/knn.ts";
import { Spatial } from "../../src/detection/spatial.ts";
import { defaultDetector } from "../../src/detection/index.ts";

describe("Ring", () => {
  it("keeps the newest `cap` values, newest at age 0, and round-trips its state", () => {
    const r = new Ring(3);
    for (const v of [1, 2, 3, 4, 5]) r.push(v);
    expect([r.at(0), r.at(1), r.at(2)]).toEqual([5, 4, 3]);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.buffer[r.slot(1)]).toBe(4);
    const back = Ring.restore(JSON.parse(JSON.stringify(r.snapshot())));
    back.push(6);
    expect(back.toArray()).toEqual([4, 5, 6]);
  });
});

describe("erfc", () => {
  it("matches reference values to 1.2e-7", () => {
    // erfc(0)=1, erfc(1)=0.157299207, erfc(2)=0.004677735, erfc(-1)=1.842700793
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1)).toBeCloseTo(0.157299207, 7);
    expect(erfc(2)).toBeCloseTo(0.004677735, 7);
    expect(erfc(-1)).toBeCloseTo(1.842700793, 7);
  });
});

describe("Likelihood", () => {
  it("is near 0.5 for typical values and near 1 for a sustained excursion", () => {
    const l = new Likelihood(10, 500, 0.001);
    let s = 0;
    for (let i = 0; i < 500; i++) s = l.update(0.1 + 0.01 * Math.sin(i));
    expect(s).toBeLessThan(0.9);
    for (let i = 0; i < 10; i++) s = l.update(0.5);
    expect(s).toBeGreaterThan(0.9999);
  });

  it("floors the standard deviation: a noiseless stream does not turn a tiny step into a certainty", () => {
    const l = new Likelihood(10, 500, 0.01);
    for (let i = 0; i < 500; i++) l.update(0.1);
    let s = 0;
    for (let i = 0; i < 10; i++) s = l.update(0.105);
    expect(s).toBeLessThan(0.999);
  });
});

describe("KnnScale", () => {
  it("finds a repeating pattern familiar and predicts its next value", () => {
    const k = new KnnScale({ dim: 8, step: 1, ref: 500, stride: 1, k: 1, predictK: 3 });
    let ev = { novelty: NaN, error: NaN };
    for (let i = 0; i < 600; i++) ev = k.update(Math.sin((2 * Math.PI * i) / 25));
    expect(ev.novelty).toBeLessThan(0.01);
    expect(ev.error).toBeLessThan(0.01);
    const odd = k.update(5); // far off the pattern and outside the range
    expect(odd.error).toBeGreaterThan(0.5);
    expect(k.update(Math.sin((2 * Math.PI * 601) / 25)).novelty).toBeGreaterThan(0.1);
  });

  it("restored from JSON gives the same evidence", () => {
    const a = new KnnScale({ dim: 6, step: 2, ref: 200, stride: 1, k: 2, predictK: 4 });
    for (let i = 0; i < 300; i++) a.update(Math.cos(i / 5) + (i % 7) / 10);
    const b = new KnnScale(a.p, JSON.parse(JSON.stringify(a.snapshot())));
    for (let i = 300; i < 400; i++) {
      const x = Math.cos(i / 5) + (i % 7) / 10;
      expect(b.update(x)).toEqual(a.update(x));
    }
  });
});

describe("Spatial", () => {
  it("fires when a value leaves the seen range by more than the tolerance", () => {
    const s = new Spatial(1, 0.05);
    for (const v of [0, 10, 5, 3]) expect(s.update(v)).toBe(0);
    expect(s.update(10.4)).toBe(0); // within 5% of the range
    expect(s.update(11)).toBe(1);
    expect(s.update(-1)).toBe(1);
  });
});

describe("detector state", () => {
  it("a fresh detector's snapshot restores (no Infinity lost in JSON)", () => {
    const a = defaultDetector.create();
    const b = defaultDetector.restore(JSON.parse(JSON.stringify(a.snapshot())));
    for (let i = 0; i < 500; i++) expect(b.score(i, Math.sin(i / 9))).toBe(a.score(i, Math.sin(i / 9)));
  });

  it("refuses the state of another kind of detector", () => {
    expect(() => defaultDetector.restore({ kind: "other", version: 1 })).toThrow(/cannot restore/);
  });
});

describe("light preset", () => {
  it("round-trips its own state and refuses the default detector's", async () => {
    const { lightDetector } = await import("../../src/detection/index.ts");
    const a = lightDetector.create();
    for (let i = 0; i < 800; i++) a.score(i, Math.sin(i / 9));
    const b = lightDetector.restore(JSON.parse(JSON.stringify(a.snapshot())));
    for (let i = 800; i < 1200; i++) expect(b.score(i, Math.sin(i / 9))).toBe(a.score(i, Math.sin(i / 9)));
    expect(() => defaultDetector.restore(a.snapshot())).toThrow(/cannot restore/);
  });
});
