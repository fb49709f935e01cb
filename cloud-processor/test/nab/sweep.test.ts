import { describe, expect, it } from "vitest";
import { optimiseThreshold, probationLength, PROFILES, scaledSigmoid, scoreAtThreshold, scoreCorpus, sweepFile } from "../../src/nab/index.ts";

const std = PROFILES.standard;

// A 1000-row file: probation = 150 rows; one window at rows 500..599.
const n = 1000;
const windows: Array<[number, number]> = [[500, 599]];
function scoresWith(hits: number[]): Float64Array {
  const s = new Float64Array(n);
  for (const h of hits) s[h] = 1;
  return s;
}

describe("NAB sweep (data/nab/README.md scoring rules)", () => {
  it("probation is min(floor(0.15 n), 750)", () => {
    expect(probationLength(1000)).toBe(150);
    expect(probationLength(4033)).toBe(604);
    expect(probationLength(10320)).toBe(750);
  });

  it("a missed window costs fnWeight; no detection scores -windows", () => {
    const r = scoreAtThreshold(sweepFile(scoresWith([]), windows, std), std, 0.5);
    expect(r.score).toBe(-1);
    expect(r.windowsDetected).toBe(0);
  });

  it("the earliest detection in a window scores (2*sigmoid(-5 pos)-1)/0.98661", () => {
    // detection at the left edge: pos = -1 -> full tp weight 1
    expect(scoreAtThreshold(sweepFile(scoresWith([500]), windows, std), std, 0.5).score).toBeCloseTo(1, 12);
    // detection at the right edge: pos = -1/100
    const right = (2 / (1 + Math.exp(-5 * 0.01)) - 1) / scaledSigmoid(-1);
    expect(scoreAtThreshold(sweepFile(scoresWith([599]), windows, std), std, 0.5).score).toBeCloseTo(right, 12);
    // several detections in one window: only the best (earliest) counts, later ones are free
    expect(scoreAtThreshold(sweepFile(scoresWith([500, 550, 599]), windows, std), std, 0.5).score).toBeCloseTo(1, 12);
  });

  it("false positives cost -fpWeight before the first window, less just after a window", () => {
    const before = scoreAtThreshold(sweepFile(scoresWith([300]), windows, std), std, 0.5);
    expect(before.score).toBeCloseTo(-1 - 0.11, 12);
    // right after the window (x = 1/99): cost 0.11 * (2*sigmoid(-5/99)-1), near zero
    const after = scoreAtThreshold(sweepFile(scoresWith([600]), windows, std), std, 0.5);
    expect(after.score).toBeCloseTo(-1 + 0.11 * (2 / (1 + Math.exp(5 / 99)) - 1), 12);
    // more than 3 window widths after: full cost
    const far = scoreAtThreshold(sweepFile(scoresWith([950]), windows, std), std, 0.5);
    expect(far.score).toBeCloseTo(-1 - 0.11, 12);
    // detections in probation are ignored
    expect(scoreAtThreshold(sweepFile(scoresWith([10]), windows, std), std, 0.5).score).toBe(-1);
  });

  it("profiles weigh FP and FN as documented", () => {
    const lowFp = PROFILES.reward_low_FP_rate;
    expect(scoreAtThreshold(sweepFile(scoresWith([300]), windows, lowFp), lowFp, 0.5).score).toBeCloseTo(-1.22, 12);
    const lowFn = PROFILES.reward_low_FN_rate;
    expect(scoreAtThreshold(sweepFile(scoresWith([]), windows, lowFn), lowFn, 0.5).score).toBe(-2);
  });

  it("normalised score: null detector 0, perfect detector 100", () => {
    const perfect = scoreCorpus([{ rel: "c/a.csv", scores: scoresWith([500]), windows }], "standard", 0.5);
    expect(perfect.normalized).toBeCloseTo(100, 10);
    expect(perfect.null).toBe(-1);
    const none = scoreCorpus([{ rel: "c/a.csv", scores: scoresWith([]), windows }], "standard", 0.5);
    expect(none.normalized).toBeCloseTo(0, 10);
    const lowFn = scoreCorpus([{ rel: "c/a.csv", scores: scoresWith([]), windows }], "reward_low_FN_rate", 0.5);
    expect(lowFn.null).toBe(-2);
  });

  it("the oracle threshold picks the best score, ties to the highest threshold", () => {
    const s = new Float64Array(n);
    s[520] = 0.8; // in window
    s[300] = 0.6; // FP
    const f = sweepFile(s, windows, std);
    const best = optimiseThreshold([f], std);
    expect(best.threshold).toBe(0.8);
    expect(best.score).toBeCloseTo(scoreAtThreshold(f, std, 0.8).score, 12);
  });
});
