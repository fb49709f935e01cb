import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSource } from "../src/sources/registry";
import { CsvCache, ReplayFileError, parseCsv, parseTimestamp } from "../src/sources/csv";
import { source as sourceSchema } from "../src/spec/sources";

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

function make(spec: unknown, baseDir = ".", key = "d/s", seed = 1) {
  return buildSource(sourceSchema.parse(spec), { seed, key, start: T0, baseDir, csv: new CsvCache() });
}

const take = (src: ReturnType<typeof make>, n: number, step = H) => Array.from({ length: n }, (_, i) => src.valueAt(T0 + i * step));

describe("generators", () => {
  it("sine: daily by default, peak where peakAt says", () => {
    const s = make({ type: "sine", mean: 20, amplitude: 5, peakAt: "14h" });
    const day = take(s, 24);
    expect(day.indexOf(Math.max(...day))).toBe(14);
    expect(Math.max(...day)).toBeCloseTo(25, 10);
    expect(Math.min(...day)).toBeCloseTo(15, 10);
  });

  it("randomPhase differs per series and is fixed per seed", () => {
    const a = take(make({ type: "sine", randomPhase: true }, ".", "a/x"), 5);
    const b = take(make({ type: "sine", randomPhase: true }, ".", "b/x"), 5);
    expect(a).not.toEqual(b);
    expect(take(make({ type: "sine", randomPhase: true }, ".", "a/x"), 5)).toEqual(a);
  });

  it("randomWalk starts at start and stays within its reflecting bounds", () => {
    const v = take(make({ type: "randomWalk", start: 10, step: 3, min: 0, max: 20 }), 5000, 1);
    expect(v[0]).toBe(10);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(20);
  });

  it("noise has the asked mean and spread", () => {
    const v = take(make({ type: "noise", mean: 3, sigma: 2 }), 20_000, 1);
    const mean = v.reduce((a, b) => a + b) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    expect(mean).toBeCloseTo(3, 1);
    expect(sd).toBeGreaterThan(1.9);
    expect(sd).toBeLessThan(2.1);
    const u = take(make({ type: "noise", sigma: 1, distribution: "uniform" }), 5000, 1);
    expect(Math.max(...u.map(Math.abs))).toBeLessThanOrEqual(1);
  });

  it("steps cycle, or hold the last level", () => {
    expect(take(make({ type: "steps", values: [1, 2, 3], every: "1h" }), 7)).toEqual([1, 2, 3, 1, 2, 3, 1]);
    expect(take(make({ type: "steps", values: [1, 2], every: "1h", loop: false }), 4)).toEqual([1, 2, 2, 2]);
  });

  it("sum and product compose", () => {
    expect(take(make({ type: "sum", of: [{ type: "constant", value: 2 }, { type: "steps", values: [0, 10], every: "1h" }] }), 3)).toEqual([2, 12, 2]);
    expect(take(make({ type: "product", of: [{ type: "constant", value: 3 }, { type: "steps", values: [1, 2], every: "1h" }] }), 2)).toEqual([3, 6]);
  });
});

describe("CSV replay", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fl-sim-csv-"));
    await writeFile(join(dir, "a.csv"), "timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,2\n2014-04-01 00:15:00,3\n");
    await writeFile(join(dir, "bad.csv"), "timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,oops\n");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("timestamps: NAB, ISO and epoch seconds/ms", () => {
    expect(parseTimestamp("2014-04-01 00:05:00")).toBe(Date.UTC(2014, 3, 1, 0, 5));
    expect(parseTimestamp("2014-04-01T00:05:00+02:00")).toBe(Date.UTC(2014, 3, 0, 22, 5));
    expect(parseTimestamp("1396310700")).toBe(1396310700_000);
    expect(parseTimestamp("1396310700000")).toBe(1396310700_000);
  });

  it("interval timing plays rows in order, looping, scaled", () => {
    const s = make({ type: "replay", file: "a.csv", scale: 10, offset: 1 }, dir);
    expect(take(s, 5)).toEqual([11, 21, 31, 11, 21]);
  });

  it("original timing keeps the file's spacing from the run's start, lap after lap", () => {
    const s = make({ type: "replay", file: "a.csv", timing: "original" }, dir);
    const it = s.schedule!(T0);
    const times = Array.from({ length: 5 }, () => (it.next().value as number) - T0);
    const M = 60_000;
    // one lap is the file's span plus one mean step (15m + 7.5m)
    expect(times).toEqual([0, 5 * M, 15 * M, 22.5 * M, 27.5 * M]);
  });

  it("a bad row names file and line; a missing file is a ReplayFileError", () => {
    expect(() => parseCsv("timestamp,value\n2014-04-01 00:00:00,x\n", 1, "f.csv")).toThrow("f.csv:2");
    expect(() => make({ type: "replay", file: "bad.csv" }, dir)).toThrow(ReplayFileError);
    expect(() => make({ type: "replay", file: "nope.csv" }, dir)).toThrow(/ENOENT/);
  });
});
