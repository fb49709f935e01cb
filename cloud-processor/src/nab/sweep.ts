/**
 * NAB scoring core on row indices (port of numenta/NAB sweeper.py and optimizer.py).
 * Windows are given as inclusive [startRow, endRow] pairs, sorted and non-overlapping.
 */
import { probationLength, type Profile } from "./profiles.ts";

/** Window id of a point: -2 = probationary, -1 = outside every window, k = window k. */
export const PROBATIONARY = -2;
export const OUTSIDE = -1;

export interface SweptFile {
  scores: Float64Array;
  /** Weight of a detection at each row (tp weight inside a window, fp cost outside). */
  weights: Float64Array;
  windowOf: Int32Array;
  windowCount: number;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** NAB's scaledSigmoid: 2*sigmoid(-5x)-1, and -1 past three window widths. */
export function scaledSigmoid(rel: number): number {
  return rel > 3 ? -1 : 2 * sigmoid(-5 * rel) - 1;
}

const MAX_TP = scaledSigmoid(-1);

export function sweepFile(
  scores: ArrayLike<number>,
  windows: ReadonlyArray<readonly [number, number]>,
  profile: Profile,
): SweptFile {
  const n = scores.length;
  const prob = probationLength(n);
  const weights = new Float64Array(n);
  const windowOf = new Int32Array(n);
  let w = 0;
  let prevEnd = -1;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    const win = windows[w];
    if (win && i >= win[0] && i <= win[1]) {
      const width = win[1] - win[0] + 1;
      const pos = -(win[1] - i + 1) / width;
      weights[i] = (scaledSigmoid(pos) * profile.tpWeight) / MAX_TP;
      windowOf[i] = i >= prob ? w : PROBATIONARY;
      if (i === win[1]) {
        prevEnd = i;
        prevWidth = width;
        w++;
      }
    } else {
      let u = -1;
      if (prevEnd >= 0) u = scaledSigmoid(Math.abs(prevEnd - i) / Math.max(prevWidth - 1, 1));
      weights[i] = u * profile.fpWeight;
      windowOf[i] = i >= prob ? OUTSIDE : PROBATIONARY;
    }
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Number.isNaN(scores[i]!) ? 0 : scores[i]!;
  return { scores: out, weights, windowOf, windowCount: windows.length };
}

export interface FileCounts {
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
  windowsScored: number;
  windowsDetected: number;
}

/** Score of one file at a fixed threshold (a point is a detection when score >= threshold). */
export function scoreAtThreshold(f: SweptFile, profile: Profile, threshold: number): FileCounts {
  const best = new Float64Array(f.windowCount).fill(Number.NaN);
  let fpSum = 0;
  let tp = 0;
  let tn = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < f.scores.length; i++) {
    const wo = f.windowOf[i]!;
    if (wo === PROBATIONARY) continue;
    if (wo >= 0 && Number.isNaN(best[wo]!)) best[wo] = -profile.fnWeight;
    const det = f.scores[i]! >= threshold;
    if (wo === OUTSIDE) {
      if (det) {
        fp++;
        fpSum += f.weights[i]!;
      } else tn++;
    } else if (det) {
      tp++;
      best[wo] = Math.max(best[wo]!, f.weights[i]!);
    } else fn++;
  }
  let score = fpSum;
  let scored = 0;
  let detected = 0;
  for (const b of best) {
    if (Number.isNaN(b)) continue;
    scored++;
    score += b;
    if (b > -profile.fnWeight) detected++;
  }
  return { score, tp, tn, fp, fn, windowsScored: scored, windowsDetected: detected };
}

/**
 * NAB's corpus-wide threshold optimisation: sweep every distinct score from high to low
 * (starting above 1.1) and keep the first threshold with the highest summed score.
 */
export function optimiseThreshold(files: readonly SweptFile[], profile: Profile): { threshold: number; score: number } {
  let total = 0;
  for (const f of files) total += f.windowCount;
  const idx: Array<[number, number, number]> = []; // score, weight, global window id or -1
  const windowTotals: number[] = [];
  let offset = 0;
  for (const f of files) {
    const seen = new Set<number>();
    for (let i = 0; i < f.scores.length; i++) {
      const wo = f.windowOf[i]!;
      if (wo === PROBATIONARY) continue;
      if (wo >= 0) seen.add(wo);
      idx.push([f.scores[i]!, f.weights[i]!, wo >= 0 ? offset + wo : -1]);
    }
    for (let k = 0; k < f.windowCount; k++) windowTotals[offset + k] = seen.has(k) ? -profile.fnWeight : Number.NaN;
    offset += f.windowCount;
  }
  void total;
  idx.sort((a, b) => b[0] - a[0]);
  const parts = windowTotals.slice();
  let sum = 0;
  for (const p of parts) if (!Number.isNaN(p)) sum += p;
  let fpSum = 0;
  let cur = 1.1;
  let best = { threshold: cur, score: -Infinity };
  for (const [s, w, g] of idx) {
    if (s !== cur) {
      if (sum + fpSum > best.score) best = { threshold: cur, score: sum + fpSum };
      cur = s;
    }
    if (g >= 0) {
      const old = parts[g]!;
      if (w > old) {
        parts[g] = w;
        sum += w - old;
      }
    } else fpSum += w;
  }
  if (sum + fpSum > best.score) best = { threshold: cur, score: sum + fpSum };
  return best;
}
