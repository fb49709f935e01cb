/**
 * The straightforward k-NN search (every reference in order of age, abandoned once its
 * partial sum reaches the n-th best): the definition `KnnScale` must reproduce bit for bit.
 * Used only by the equivalence test and `bench/nab/exact.ts`; it is the search as it was
 * before the incremental filter (see cloud-processor/docs/detection.md, "Cost").
 */
import { Ring } from "./ring.ts";
import type { KnnEvidence, KnnParams, KnnState } from "./knn.ts";

export class ReferenceKnnScale {
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
