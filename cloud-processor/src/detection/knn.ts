/**
 * k-nearest-neighbour nonconformity of the latest lag vector (KNN-CAD style, Burnaev and
 * Ishimtsev 2016), at one time scale: the vector holds `dim` moving averages of `step`
 * points, `step` apart; its nonconformity is the mean distance to its `k` nearest
 * neighbours among lag vectors that end in the last `ref` points (compared every `stride`
 * points), in units of the series' observed range.
 */
import { Ring, type RingState } from "./ring.ts";

export interface KnnParams {
  dim: number;
  step: number;
  ref: number;
  stride: number;
  k: number;
}

export interface KnnState {
  raw: RingState;
  smooth: RingState;
  /** null while no value has been seen (JSON has no Infinity). */
  min: number | null;
  max: number | null;
}

export class KnnNcm {
  private readonly raw: Ring;
  private readonly smooth: Ring;
  private min = Infinity;
  private max = -Infinity;
  private readonly best: Float64Array;
  private readonly query: Float64Array;
  private readonly span: number;

  constructor(
    readonly p: KnnParams,
    s?: KnnState,
  ) {
    this.span = p.dim * p.step;
    this.raw = s ? Ring.restore(s.raw) : new Ring(p.step);
    this.smooth = s ? Ring.restore(s.smooth) : new Ring(p.ref + 2 * this.span);
    if (s) {
      this.min = s.min ?? Infinity;
      this.max = s.max ?? -Infinity;
    }
    this.best = new Float64Array(p.k);
    this.query = new Float64Array(p.dim);
  }

  /** Adds a value; returns the nonconformity of the newest lag vector, or NaN while warming up. */
  update(x: number): number {
    const raw = this.raw;
    raw.push(x);
    let sum = 0;
    for (let i = 0; i < raw.size; i++) sum += raw.at(i);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    const v = this.smooth;
    v.push(sum / raw.size);
    const { dim, step, k, stride } = this.p;
    const span = this.span;
    const last = v.size - span; // oldest start age of a full reference vector
    if ((last - span) / stride + 1 < k) return Number.NaN;
    const range = this.max - this.min;
    if (range <= 0) return 0;
    const best = this.best.fill(Infinity);
    const q = this.query;
    for (let i = 0; i < dim; i++) q[i] = v.at(i * step);
    const buf = v.buffer;
    const cap = v.cap;
    for (let s = span; s <= last; s += stride) {
      let d = 0;
      let pos = v.slot(s);
      for (let i = 0; i < dim; i++) {
        const e = q[i]! - buf[pos]!;
        d += e * e;
        if (d >= best[k - 1]!) break;
        pos -= step;
        if (pos < 0) pos += cap;
      }
      if (d < best[k - 1]!) {
        let j = k - 1;
        while (j > 0 && best[j - 1]! > d) {
          best[j] = best[j - 1]!;
          j--;
        }
        best[j] = d;
      }
    }
    let dist = 0;
    for (let j = 0; j < k; j++) dist += Math.sqrt(best[j]!);
    return dist / k / range / Math.sqrt(dim);
  }

  snapshot(): KnnState {
    return { raw: this.raw.snapshot(), smooth: this.smooth.snapshot(), min: Number.isFinite(this.min) ? this.min : null, max: Number.isFinite(this.max) ? this.max : null };
  }
}
