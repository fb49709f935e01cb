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
 * without wrap-around checks. The sweep over every reference, the bulk of the cost, is a
 * WebAssembly SIMD kernel (wasm/search.wat) doing the same double operations two at a time
 * and the same exact search of the references that pass; the arrays it reads live in its
 * memory (wasm/arena.ts). See cloud-processor/docs/detection.md, "Cost".
 */
import { Ring, type RingState } from "./ring.ts";
import { arenaFor, type Arena } from "./wasm/arena.ts";

/** Incremental updates of a lag distance between two exact recomputations. */
const RECOMPUTE = 128;

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
  /**
   * Averaged values, mirrored: buf[i] === buf[i + cap]. The newest is at head and the value
   * `age` pushes ago at buf[head + age], so ages grow with addresses (as lag slots do).
   */
  private buf!: Float64Array;
  private readonly cap: number;
  private head = 0;
  private size = 0;
  private min = Infinity;
  private max = -Infinity;
  private pending = Number.NaN;
  private readonly span: number;
  private readonly n: number;
  /** The n best squared distances, ascending, their ages and what followed them (arena views). */
  private best!: Float64Array;
  private age!: Int32Array;
  private next!: Float64Array;
  /** Ages of the previous point's n best (speed only: never changes the result; arena view). */
  private seeds!: Int32Array;
  /** Pushes so far (not part of the state: the lag distances below are rebuilt after a restore). */
  private tick = 0;
  /** Approximate squared distance per phase (tick % step) and lag slot j (age span + j * stride). */
  private readonly lags: number;
  /**
   * Byte offsets in the arena: the averaged values (`buf`), the running distances (read by
   * the kernel only), then one block of best, next, the query (the newest lag vector, the
   * kernel's own), age and seeds; and the arena generation the views were made at.
   */
  private readonly arena: Arena;
  private readonly bufPtr: number;
  private readonly accPtr: number;
  private readonly bestPtr: number;
  private readonly nextPtr: number;
  private readonly queryPtr: number;
  private readonly agePtr: number;
  private readonly seedsPtr: number;
  private gen = -1;
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
    this.cap = p.ref + 2 * this.span;
    this.lags = Math.floor((this.cap - 2 * this.span) / p.stride) + 1;
    this.n = Math.max(p.k, p.predictK);
    const n = this.n;
    const small = 8 * (2 * n + p.dim) + 4 * 2 * n;
    this.arena = arenaFor(2 * this.cap * 8 + p.step * this.lags * 8 + small);
    this.bufPtr = this.arena.alloc(2 * this.cap * 8, this);
    this.accPtr = this.arena.alloc(p.step * this.lags * 8, this);
    this.bestPtr = this.arena.alloc(small, this);
    this.nextPtr = this.bestPtr + 8 * n;
    this.queryPtr = this.nextPtr + 8 * n;
    this.agePtr = this.queryPtr + 8 * p.dim;
    this.seedsPtr = this.agePtr + 4 * n;
    this.view();
    this.seeds.fill(-1);
    this.raw = s ? Ring.restore(s.raw) : new Ring(p.step);
    if (s) {
      if (s.smooth.cap !== this.cap) throw new Error(`k-NN state has ${s.smooth.cap} averaged values, expected ${this.cap}`);
      for (const v of s.smooth.data) this.push(v);
      this.min = s.min ?? Infinity;
      this.max = s.max ?? -Infinity;
      this.pending = s.pending ?? Number.NaN;
    }
    this.accTick = new Float64Array(p.step).fill(-Infinity);
    this.accLast = new Int32Array(p.step);
    this.accRuns = new Int32Array(p.step);
  }

  /** (Re)builds the views of the arena's memory (after it grew, the old ones are detached). */
  private view(): void {
    const a = this.arena;
    if (this.gen === a.generation) return;
    const n = this.n;
    this.buf = new Float64Array(a.buffer, this.bufPtr, 2 * this.cap);
    this.best = new Float64Array(a.buffer, this.bestPtr, n);
    this.next = new Float64Array(a.buffer, this.nextPtr, n);
    this.age = new Int32Array(a.buffer, this.agePtr, n);
    this.seeds = new Int32Array(a.buffer, this.seedsPtr, n);
    this.gen = a.generation;
  }

  private push(v: number): void {
    const h = this.head === 0 ? this.cap - 1 : this.head - 1;
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
    this.view();
    const raw = this.raw;
    raw.push(x);
    const sum = raw.sum();
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
    const base = this.head; // buf[base + age] is the value `age` pushes ago

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
    }

    // Every reference: its squared distance is kept per lag and updated from the one `step`
    // pushes ago (one term in, one term out), an approximation that drifts by rounding only;
    // all lags are recomputed exactly every RECOMPUTE updates (and after a restore). A
    // reference whose approximate distance is within `tol` of the n-th best (orders of
    // magnitude more than any rounding drift) gets its exact distance, summed as before. Lags
    // beyond jinc (new ones, or all of them) are measured exactly. The kernel does all of it,
    // after the query and the seeds.
    const phase = this.tick % step;
    const off = phase * this.lags;
    const jmax = ((last - span) / stride) | 0;
    const scale = dim * range * range;
    const exactAll = this.accTick[phase] !== this.tick - step || this.accRuns[phase]! >= RECOMPUTE || !(scale < 1e300);
    // Incremental for lags seen last time whose leaving value is still in the buffer.
    const jinc = exactAll ? -1 : Math.min(this.accLast[phase]!, Math.floor((this.size - 1 - 2 * span) / stride));
    const tol = 1e-9 * scale;
    const newest = this.bufPtr + base * 8;
    const { queryPtr, bestPtr, agePtr, nextPtr } = this;
    this.arena.seed(newest, queryPtr, dim, step * 8, bestPtr, agePtr, nextPtr, n, this.seedsPtr);
    this.arena.search(this.accPtr + off * 8, jinc + 1, newest + span * 8, span * 8, stride * 8, buf[base]!, buf[base + span]!, tol,
      newest, queryPtr, dim, step * 8, bestPtr, agePtr, nextPtr, n, span, stride, jmax + 1);
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

  snapshot(): KnnState {
    const data: number[] = [];
    for (let a = this.size - 1; a >= 0; a--) data.push(this.buf[this.head + a]!);
    return {
      raw: this.raw.snapshot(),
      smooth: { cap: this.cap, data },
      min: Number.isFinite(this.min) ? this.min : null,
      max: Number.isFinite(this.max) ? this.max : null,
      pending: Number.isNaN(this.pending) ? null : this.pending,
    };
  }
}
