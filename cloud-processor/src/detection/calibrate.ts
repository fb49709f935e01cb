/**
 * Turning a raw nonconformity stream into a score in [0, 1].
 *
 * Conformal: the fraction of the last `size` raw values that the new one exceeds
 * (inductive conformal anomaly detection, Laxhammar and Falkman 2015).
 * Likelihood: Numenta's anomaly likelihood (Ahmad et al. 2017): the Gaussian tail
 * probability of a short moving average of the raw value under the distribution of the
 * raw value over a long window.
 */
import { Ring, type RingState } from "./ring.ts";

export class Conformal {
  readonly history: Ring;
  constructor(size: number, s?: RingState) {
    this.history = s ? Ring.restore(s) : new Ring(size);
  }

  update(a: number): number {
    const h = this.history;
    let below = 0;
    let equal = 0;
    for (let i = 0; i < h.size; i++) {
      const b = h.at(i);
      if (b < a) below++;
      else if (b === a) equal++;
    }
    const n = h.size;
    h.push(a);
    return n === 0 ? 0 : (below + 0.5 * equal) / n;
  }

  snapshot(): RingState {
    return this.history.snapshot();
  }
}

export interface LikelihoodState {
  short: RingState;
  long: RingState;
  sum: number;
  sumSq: number;
  shortSum: number;
}

export class Likelihood {
  private readonly short: Ring;
  private readonly long: Ring;
  private sum = 0;
  private sumSq = 0;
  private shortSum = 0;

  constructor(shortSize: number, longSize: number, s?: LikelihoodState, readonly ofAverages = false, readonly minSd = 0) {
    this.short = s ? Ring.restore(s.short) : new Ring(shortSize);
    this.long = s ? Ring.restore(s.long) : new Ring(longSize);
    if (s) {
      this.sum = s.sum;
      this.sumSq = s.sumSq;
      this.shortSum = s.shortSum;
    }
  }

  mean(): number {
    return this.long.size ? this.sum / this.long.size : 0;
  }

  /** Returns 1 - tail probability of the short-term mean (near 1 = unlikely). */
  update(a: number): number {
    const sh = this.short;
    if (sh.size === sh.cap) this.shortSum -= sh.at(sh.cap - 1);
    sh.push(a);
    this.shortSum += a;
    const avg = this.shortSum / sh.size;
    const lg = this.long;
    let out = 0;
    if (lg.size >= Math.min(lg.cap, 50)) {
      const mean = this.sum / lg.size;
      const variance = Math.max(this.sumSq / lg.size - mean * mean, 0);
      const sd = Math.max(Math.sqrt(variance), 1e-6 + Math.abs(mean) * 1e-3, this.minSd);
      out = 1 - 0.5 * erfc((avg - mean) / sd / Math.SQRT2);
    }
    if (lg.size === lg.cap) {
      const old = lg.at(lg.cap - 1);
      this.sum -= old;
      this.sumSq -= old * old;
    }
    const b = this.ofAverages ? avg : a;
    lg.push(b);
    this.sum += b;
    this.sumSq += b * b;
    return out;
  }

  snapshot(): LikelihoodState {
    return { short: this.short.snapshot(), long: this.long.snapshot(), sum: this.sum, sumSq: this.sumSq, shortSum: this.shortSum };
  }
}

/** Complementary error function (Numerical Recipes erfcc, relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
