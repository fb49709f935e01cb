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
 *
 * The search is exact: its result is the `n` smallest (distance, age) pairs, the distance
 * summed term by term from the newest as the plain search does (`knn-reference.ts`), ties
 * going to the more recent reference, whatever order the references are visited in. It
 * measures first the references that continue the previous point's neighbours (usually
 * close again, so the bound is tight from the start). Then it updates a running squared
 * distance per reference (one term in, one term out) and measures exactly only those whose
 * running distance is within a rounding tolerance of the current n-th best, abandoning each
 * as soon as its partial sum exceeds it (floating-point addition of non-negative terms never
 * decreases, so a partial sum is a true lower bound of the full one). The averaged values
 * live in a mirrored buffer (each value stored twice, `cap` apart) so a lag vector is read
 * without wrap-around checks. See cloud-processor/docs/detection.md, "Cost".
 */
import { Ring, type RingState } from "./ring.ts";

/** Incremental updates of a lag distance between two exact recomputations. */
const RECOMPUTE = 128;

/** Scratch for the lag slots that pass the filter (one search runs at a time). */
let hits = new Int32Array(4096);

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
  /** Averaged values, mirrored: buf[i] === buf[i + cap]; the newest is at head (and head + cap). */
  private readonly buf: Float64Array;
  private readonly cap: number;
  private head = 0;
  private size = 0;
  private min = Infinity;
  private max = -Infinity;
  private pending = Number.NaN;
  private readonly span: number;
  private readonly n: number;
  /** The n best squared distances, ascending, their ages and what followed them. */
  private readonly best: Float64Array;
  private readonly age: Int32Array;
  private readonly next: Float64Array;
  /** Ages of the previous point's n best (speed only: never changes the result). */
  private readonly seeds: Int32Array;
  private readonly query: Float64Array;
  /** Search scratch: n-th best squared distance and its age (-1 = empty), newest position. */
  private worst = Infinity;
  private worstAge = -1;
  private base = 0;
  /** Pushes so far (not part of the state: the lag distances below are rebuilt after a restore). */
  private tick = 0;
  /** Approximate squared distance per phase (tick % step) and lag slot j (age span + j * stride). */
  private readonly lags: number;
  private readonly acc: Float64Array;
  /** Views of `acc`, one per phase. */
  private readonly phases: Float64Array[];
  /** Per phase: tick of the last update, last lag slot updated, updates since the exact recompute. */
  private readonly accTick: Float64Array;
  private readonly accLast: Int32Array;
  private readonly accRuns: Int32Array;
  /** Prediction error of the last `step()`, NaN when none. */
  error = Number.NaN;

  constructor(
    readonly p: KnnParams,
    s?: KnnState,
  ) {
    this.span = p.dim * p.step;
    this.n = Math.max(p.k, p.predictK);
    this.cap = p.ref + 2 * this.span;
    this.buf = new Float64Array(2 * this.cap);
    this.raw = s ? Ring.restore(s.raw) : new Ring(p.step);
    if (s) {
      if (s.smooth.cap !== this.cap) throw new Error(`k-NN state has ${s.smooth.cap} averaged values, expected ${this.cap}`);
      for (const v of s.smooth.data) this.push(v);
      this.min = s.min ?? Infinity;
      this.max = s.max ?? -Infinity;
      this.pending = s.pending ?? Number.NaN;
    }
    this.best = new Float64Array(this.n);
    this.age = new Int32Array(this.n);
    this.next = new Float64Array(this.n);
    this.seeds = new Int32Array(this.n).fill(-1);
    this.query = new Float64Array(p.dim);
    this.lags = Math.floor((this.cap - 2 * this.span) / p.stride) + 1;
    this.acc = new Float64Array(p.step * this.lags);
    this.accTick = new Float64Array(p.step).fill(-Infinity);
    this.accLast = new Int32Array(p.step);
    this.accRuns = new Int32Array(p.step);
    this.phases = Array.from({ length: p.step }, (_, i) => this.acc.subarray(i * this.lags, (i + 1) * this.lags));
  }

  private push(v: number): void {
    const h = this.head + 1 === this.cap ? 0 : this.head + 1;
    this.head = h;
    this.buf[h] = v;
    this.buf[h + this.cap] = v;
    if (this.size < this.cap) this.size++;
    this.tick++;
  }

  /** Adds a value and returns the evidence about it. */
  update(x: number): KnnEvidence {
    const novelty = this.step(x);
    return { novelty, error: this.error };
  }

  /** Adds a value; returns the novelty (NaN while warming up) and sets `error`. */
  step(x: number): number {
    const raw = this.raw;
    raw.push(x);
    let sum = 0;
    for (let i = 0; i < raw.size; i++) sum += raw.at(i);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    const avg = sum / raw.size;
    this.push(avg);
    const range = this.max - this.min;
    this.error = Number.isNaN(this.pending) ? Number.NaN : range > 0 ? Math.abs(avg - this.pending) / range : 0;
    this.pending = Number.NaN;
    const { dim, step, k, stride, predictK } = this.p;
    const span = this.span;
    const n = this.n;
    const last = this.size - span; // oldest start age of a full reference vector
    if ((last - span) / stride + 1 < n) return Number.NaN;
    if (range <= 0) return 0;
    const buf = this.buf;
    const base = this.head + this.cap; // buf[base - age] is the value `age` pushes ago
    this.base = base;
    this.best.fill(Infinity);
    this.age.fill(-1);
    this.worst = Infinity;
    this.worstAge = -1;
    const q = this.query;
    for (let i = 0; i < dim; i++) q[i] = buf[base - i * step]!;

    // Start from the references that continue the previous point's neighbours (any n
    // distinct references would do: they only make the bound tight early).
    const seeds = this.seeds;
    for (let t = 0, extra = span; t < n; t++) {
      let s = seeds[t]!;
      let taken = s < span || s > last || (s - span) % stride !== 0;
      for (let u = 0; u < t && !taken; u++) if (seeds[u] === s) taken = true;
      while (taken) {
        s = extra;
        extra += stride;
        taken = false;
        for (let u = 0; u < n; u++) if (u !== t && seeds[u] === s) taken = true;
      }
      seeds[t] = s;
      this.consider(s, this.distance(base - s, Infinity));
    }

    // Every reference: its squared distance is kept per lag and updated from the one `step`
    // pushes ago (one term in, one term out), an approximation that drifts by rounding only;
    // all lags are recomputed exactly every RECOMPUTE updates (and after a restore). A
    // reference whose approximate distance is within `tol` of the n-th best (orders of
    // magnitude more than any rounding drift) gets its exact distance, summed as before.
    const phase = this.tick % step;
    const acc = this.acc;
    const off = phase * this.lags;
    const jmax = ((last - span) / stride) | 0;
    const scale = dim * range * range;
    const exactAll = this.accTick[phase] !== this.tick - step || this.accRuns[phase]! >= RECOMPUTE || !(scale < 1e300);
    // Incremental for lags seen last time whose leaving value is still in the buffer.
    const jinc = exactAll ? -1 : Math.min(this.accLast[phase]!, Math.floor((this.size - 1 - 2 * span) / stride));
    const tol = 1e-9 * scale;
    this.sweep(this.phases[phase]!, jinc, base, tol);
    for (let j = jinc + 1, pos = base - span - j * stride; j <= jmax; j++, pos -= stride) {
      const d = this.distance(pos, Infinity);
      acc[off + j] = d;
      this.consider(span + j * stride, d);
    }
    this.accTick[phase] = this.tick;
    this.accLast[phase] = jmax;
    this.accRuns[phase] = exactAll ? 0 : this.accRuns[phase]! + 1;
    seeds.set(this.age);
    const best = this.best;
    const next = this.next;
    let dist = 0;
    for (let j = 0; j < k; j++) dist += Math.sqrt(best[j]!);
    if (predictK > 0) {
      let pred = 0;
      for (let j = 0; j < predictK; j++) pred += next[j]!;
      this.pending = pred / predictK;
    }
    return dist / k / range / Math.sqrt(dim);
  }

  /**
   * Updates the running distances of lags 0..jinc (slots of `acc`) and offers the references
   * whose running distance is within `tol` of the n-th best to the exact search.
   */
  private sweep(acc: Float64Array, jinc: number, base: number, tol: number): void {
    const { span, buf } = this;
    const stride = this.p.stride;
    const newest = buf[base]!;
    const leaving = buf[base - span]!;
    const lim = this.worst + tol;
    if (hits.length <= jinc) hits = new Int32Array(2 * jinc + 2);
    const found = hits;
    let h = 0;
    for (let j = 0, pos = base - span; j <= jinc; j++, pos -= stride) {
      const e1 = newest - buf[pos]!;
      const e2 = leaving - buf[pos - span]!;
      const a = acc[j]! + e1 * e1 - e2 * e2;
      acc[j] = a;
      if (a <= lim) found[h++] = j;
    }
    // The bound only tightens while these are offered, so checking against the current
    // n-th best (not `lim`) keeps exactly the same references.
    for (let u = 0; u < h; u++) {
      const j = found[u]!;
      if (!(acc[j]! <= this.worst + tol)) continue;
      // Once the n best are exact repeats (distance 0), a reference older than the n-th
      // best can at most tie with it, and ties go to the more recent one.
      const s = span + j * stride;
      if (this.worst === 0 && s > this.worstAge) continue;
      this.consider(s, this.distance(base - s, this.worst));
    }
  }

  /**
   * Squared distance from the query to the reference ending at buffer position `pos`, summed
   * term by term from the newest; -1 as soon as the partial sum exceeds `bound`.
   */
  private distance(pos: number, bound: number): number {
    const { dim, step } = this.p;
    const q = this.query;
    const buf = this.buf;
    let d = 0;
    for (let i = 0; i < dim; i++, pos -= step) {
      const e = q[i]! - buf[pos]!;
      d += e * e;
      if (d > bound) return -1;
    }
    return d;
  }

  /**
   * Offers the reference at age `s` with exact squared distance `d` (-1 = abandoned) to the
   * n best, ordered by (distance, age); true when it entered.
   */
  private consider(s: number, d: number): boolean {
    if (d < 0) return false;
    const worst = this.worst;
    if (!(d < worst || (d === worst && this.worstAge >= 0 && s < this.worstAge))) return false;
    const { best, age, next } = this;
    const n = this.n;
    for (let u = 0; u < n; u++) if (age[u] === s) return false;
    let j = n - 1;
    while (j > 0 && (best[j - 1]! > d || (best[j - 1] === d && age[j - 1]! > s))) {
      best[j] = best[j - 1]!;
      age[j] = age[j - 1]!;
      next[j] = next[j - 1]!;
      j--;
    }
    best[j] = d;
    age[j] = s;
    next[j] = this.buf[this.base - s + 1]!; // what followed this neighbour (s >= span >= 1)
    this.worst = best[n - 1]!;
    this.worstAge = age[n - 1]!;
    return true;
  }

  snapshot(): KnnState {
    const data: number[] = [];
    const base = this.head + this.cap;
    for (let a = this.size - 1; a >= 0; a--) data.push(this.buf[base - a]!);
    return {
      raw: this.raw.snapshot(),
      smooth: { cap: this.cap, data },
      min: Number.isFinite(this.min) ? this.min : null,
      max: Number.isFinite(this.max) ? this.max : null,
      pending: Number.isNaN(this.pending) ? null : this.pending,
    };
  }
}
