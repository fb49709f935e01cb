/**
 * Anomaly likelihood (Ahmad, Lavin, Purdy and Agha 2017, "Unsupervised real-time anomaly
 * detection for streaming data", Neurocomputing 262): the Gaussian tail probability of a
 * short moving average of a raw anomaly measure under the mean and variance of that measure
 * over a long rolling window. The standard deviation is floored at `minSd` so that a
 * near-noiseless series does not turn tiny deviations into certainties.
 */
import { Ring, type RingState } from "./ring.ts";

export interface LikelihoodState {
  short: RingState;
  long: RingState;
  sum: number;
  sumSq: number;
  pushes: number;
}

export class Likelihood {
  private readonly short: Ring;
  private readonly long: Ring;
  private sum = 0;
  private sumSq = 0;
  private pushes = 0;

  constructor(
    shortSize: number,
    longSize: number,
    readonly minSd: number,
    s?: LikelihoodState,
  ) {
    this.short = s ? Ring.restore(s.short) : new Ring(shortSize);
    this.long = s ? Ring.restore(s.long) : new Ring(longSize);
    if (s) {
      this.sum = s.sum;
      this.sumSq = s.sumSq;
      this.pushes = s.pushes;
    }
  }

  /** Returns 1 - tail probability of the short-term mean (near 1 = unlikely). */
  update(a: number): number {
    const sh = this.short;
    sh.push(a);
    const avg = sh.sum() / sh.size;
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
    lg.push(a);
    this.sum += a;
    this.sumSq += a * a;
    // Re-add the running sums from the window now and then so rounding cannot drift
    // over an endless stream (amortised O(1)).
    if (++this.pushes >= lg.cap) {
      this.pushes = 0;
      this.sum = 0;
      this.sumSq = 0;
      for (let i = 0; i < lg.size; i++) {
        const v = lg.at(i);
        this.sum += v;
        this.sumSq += v * v;
      }
    }
    return out;
  }

  snapshot(): LikelihoodState {
    return { short: this.short.snapshot(), long: this.long.snapshot(), sum: this.sum, sumSq: this.sumSq, pushes: this.pushes };
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
