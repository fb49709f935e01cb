/**
 * k-nearest-neighbour evidence at one time scale. The lag vector holds `dim` moving averages
 * of `step` points, `step` apart; it is compared with the lag vectors that end in the last
 * `ref` points (every `stride`-th one), which never overlap it. Two measures come out of
 * one search, both in units of the series' observed range:
 * - novelty: the mean distance to the `k` nearest neighbours (the nonconformity measure of
 *   KNN-CAD, Burnaev and Ishimtsev 2016);
 * - prediction error: the newest (averaged) value minus the mean of what followed the
 *   `predictK` nearest neighbours of the previous lag vector (k-NN regression, an analogue
 *   forecast; Lorenz 1969).
 */
import { Ring, type RingState } from "./ring.ts";

export interface KnnParams {
  dim: number;
  step: number;
  ref: number;
  stride: number;
  k: number;
  /** Neighbours averaged for the one-step prediction; 0 = no prediction. */
  predictK: number;
}

export interface KnnState {
  raw: RingState;
  smooth: RingState;
  /** null while no value has been seen (JSON has no Infinity). */
  min: number | null;
  max: number | null;
  /** Prediction of the next averaged value, null when none. */
  pending: number | null;
}

export interface KnnEvidence {
  /** NaN while warming up. */
  novelty: number;
  /** NaN while no prediction was made. */
  error: number;
}

export class KnnScale {
  private readonly raw: Ring;
  private readonly smooth: Ring;
  private min = Infinity;
  private max = -Infinity;
  private pending = Number.NaN;
  private readonly span: number;
  private readonly n: number;
  private readonly best: Float64Array;
  private readonly next: Float64Array;
  private readonly query: Float64Array;

  constructor(
    readonly p: KnnParams,
    s?: KnnState,
  ) {
    this.span = p.dim * p.step;
    this.n = Math.max(p.k, p.predictK);
    this.raw = s ? Ring.restore(s.raw) : new Ring(p.step);
    this.smooth = s ? Ring.restore(s.smooth) : new Ring(p.ref + 2 * this.span);
    if (s) {
      this.min = s.min ?? Infinity;
      this.max = s.max ?? -Infinity;
      this.pending = s.pending ?? Number.NaN;
    }
    this.best = new Float64Array(this.n);
    this.next = new Float64Array(this.n);
    this.query = new Float64Array(p.dim);
  }

  /** Adds a value and returns the evidence about it. */
  update(x: number): KnnEvidence {
    const raw = this.raw;
    raw.push(x);
    let sum = 0;
    for (let i = 0; i < raw.size; i++) sum += raw.at(i);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    const v = this.smooth;
    const avg = sum / raw.size;
    v.push(avg);
    const range = this.max - this.min;
    const error = Number.isNaN(this.pending) ? Number.NaN : range > 0 ? Math.abs(avg - this.pending) / range : 0;
    this.pending = Number.NaN;
    const { dim, step, k, stride, predictK } = this.p;
    const span = this.span;
    const n = this.n;
    const last = v.size - span; // oldest start age of a full reference vector
    if ((last - span) / stride + 1 < n) return { novelty: Number.NaN, error };
    if (range <= 0) return { novelty: 0, error };
    const best = this.best.fill(Infinity);
    const next = this.next;
    const q = this.query;
    for (let i = 0; i < dim; i++) q[i] = v.at(i * step);
    const buf = v.buffer;
    const cap = v.cap;
    let worst = Infinity; // best[n - 1], kept in a local for the inner loop
    for (let s = span; s <= last; s += stride) {
      let d = 0;
      let pos = v.slot(s);
      let i = 0;
      for (; i < dim; i++) {
        const e = q[i]! - buf[pos]!;
        d += e * e;
        if (d >= worst) break;
        pos -= step;
        if (pos < 0) pos += cap;
      }
      if (i === dim) {
        let j = n - 1;
        while (j > 0 && best[j - 1]! > d) {
          best[j] = best[j - 1]!;
          next[j] = next[j - 1]!;
          j--;
        }
        best[j] = d;
        next[j] = v.at(s - 1); // what followed this neighbour (s >= span >= 1)
        worst = best[n - 1]!;
      }
    }
    let dist = 0;
    for (let j = 0; j < k; j++) dist += Math.sqrt(best[j]!);
    if (predictK > 0) {
      let pred = 0;
      for (let j = 0; j < predictK; j++) pred += next[j]!;
      this.pending = pred / predictK;
    }
    return { novelty: dist / k / range / Math.sqrt(dim), error };
  }

  snapshot(): KnnState {
    return {
      raw: this.raw.snapshot(),
      smooth: this.smooth.snapshot(),
      min: Number.isFinite(this.min) ? this.min : null,
      max: Number.isFinite(this.max) ? this.max : null,
      pending: Number.isNaN(this.pending) ? null : this.pending,
    };
  }
}
