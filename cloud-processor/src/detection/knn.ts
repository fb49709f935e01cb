/**
 * k-nearest-neighbour nonconformity of the latest lag vector (KNN-CAD style, Burnaev and
 * Ishimtsev 2016): the mean distance from the last `dim` values to their `k` nearest lag
 * vectors among the previous `ref` ones, in units of the series' observed range.
 */
import { Ring, type RingState } from "./ring.ts";

export interface KnnParams {
  dim: number;
  ref: number;
  k: number;
}

export interface KnnState {
  values: RingState;
  min: number;
  max: number;
}

export class KnnNcm {
  private readonly values: Ring;
  private min = Infinity;
  private max = -Infinity;
  private readonly best: Float64Array;

  constructor(
    readonly p: KnnParams,
    s?: KnnState,
  ) {
    this.values = s ? Ring.restore(s.values) : new Ring(p.ref + 2 * p.dim);
    if (s) {
      this.min = s.min;
      this.max = s.max;
    }
    this.best = new Float64Array(p.k);
  }

  /** Adds a value; returns the nonconformity of the newest lag vector, or NaN while warming up. */
  update(x: number): number {
    const v = this.values;
    v.push(x);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    const { dim, k } = this.p;
    const last = v.size - dim; // oldest start age of a full reference vector
    if (last - dim + 1 < k) return Number.NaN;
    const range = this.max - this.min;
    if (range <= 0) return 0;
    const best = this.best.fill(Infinity);
    for (let s = dim; s <= last; s++) {
      let d = 0;
      for (let i = 0; i < dim; i++) {
        const e = v.at(i) - v.at(s + i);
        d += e * e;
        if (d >= best[k - 1]!) break;
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
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.sqrt(best[j]!);
    return sum / k / range / Math.sqrt(dim);
  }

  snapshot(): KnnState {
    return { values: this.values.snapshot(), min: this.min, max: this.max };
  }
}
