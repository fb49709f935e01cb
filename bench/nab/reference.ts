/**
 * Reference detector run side by side with ours: NAB's "windowed Gaussian" baseline
 * (numenta/NAB nab/detectors/gaussian): the tail probability of each value under the mean
 * and standard deviation of the last 6,400 values.
 */
import type { Detector, DetectorFactory, DetectorState } from "../../cloud-processor/src/detection/index.ts";

const WINDOW = 6400;

class WindowedGaussian implements Detector {
  private readonly buf: number[] = [];
  private sum = 0;
  private sumSq = 0;

  score(_t: number, value: number): number {
    let s = 0;
    const n = this.buf.length;
    if (n > 1) {
      const mean = this.sum / n;
      const sd = Math.sqrt(Math.max(this.sumSq / n - mean * mean, 0));
      if (sd > 0) s = 1 - 0.5 * erfcApprox(Math.abs(value - mean) / sd / Math.SQRT2);
    }
    this.buf.push(value);
    this.sum += value;
    this.sumSq += value * value;
    if (this.buf.length > WINDOW) {
      const old = this.buf.shift()!;
      this.sum -= old;
      this.sumSq -= old * old;
    }
    return Math.min(Math.max(s, 0), 1);
  }

  snapshot(): DetectorState {
    return { kind: "windowed-gaussian", version: 1, buf: [...this.buf] };
  }
}

function erfcApprox(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const r =
    t *
    Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

export const windowedGaussian: DetectorFactory = {
  name: "windowed-gaussian",
  create: () => new WindowedGaussian(),
  restore: () => {
    throw new Error("not needed in the benchmark");
  },
};
