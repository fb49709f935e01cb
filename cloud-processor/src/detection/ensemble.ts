/** The default detector: KNN nonconformity, calibrated, with suppression after a detection. */
import type { Detector, DetectorFactory, DetectorState } from "./detector.ts";
import { KnnNcm, type KnnParams, type KnnState } from "./knn.ts";
import { Conformal, Likelihood, type LikelihoodState } from "./calibrate.ts";
import type { RingState } from "./ring.ts";

export interface EnsembleParams {
  knn: KnnParams;
  extra: KnnParams[];
  calib: number;
  likeShort: number;
  likeLong: number;
  mode: "conformal" | "likelihood" | "raw" | "ratio";
  threshold: number;
  holdoff: number;
  warmup: number;
  logEps: number;
  ofAverages: boolean;
  minSd: number;
  spatial: number;
}

export const DEFAULT_PARAMS: EnsembleParams = {
  knn: { dim: 10, step: 1, ref: 2000, stride: 1, k: 1 },
  extra: [{ dim: 10, step: 4, ref: 2000, stride: 2, k: 1 }],
  calib: 300,
  likeShort: 10,
  likeLong: 1000,
  mode: "likelihood",
  threshold: 0.999,
  holdoff: 100,
  warmup: 150,
  logEps: 0,
  ofAverages: false,
  minSd: 0.01,
  spatial: 0.05,
};

interface EnsembleState {
  kind: "ensemble";
  version: 1;
  n: number;
  hold: number;
  lo: number;
  hi: number;
  knn: KnnState;
  conformal: RingState;
  likelihood: LikelihoodState;
  extra: Array<{ knn: KnnState; likelihood: LikelihoodState }>;
}

export class EnsembleDetector implements Detector {
  private n = 0;
  private hold = 0;
  private lo = Infinity;
  private hi = -Infinity;
  private readonly knn: KnnNcm;
  private readonly conformal: Conformal;
  private readonly likelihood: Likelihood;
  private readonly extra: Array<{ knn: KnnNcm; likelihood: Likelihood }>;

  constructor(
    readonly p: EnsembleParams = DEFAULT_PARAMS,
    s?: EnsembleState,
  ) {
    this.knn = new KnnNcm(p.knn, s?.knn);
    this.conformal = new Conformal(p.calib, s?.conformal);
    this.likelihood = new Likelihood(p.likeShort, p.likeLong, s?.likelihood, p.ofAverages, p.minSd);
    this.extra = p.extra.map((kp, i) => ({
      knn: new KnnNcm(kp, s?.extra[i]?.knn),
      likelihood: new Likelihood(p.likeShort, p.likeLong, s?.extra[i]?.likelihood, p.ofAverages, p.minSd),
    }));
    if (s) {
      this.n = s.n;
      this.hold = s.hold;
      this.lo = s.lo;
      this.hi = s.hi;
    }
  }

  score(_t: number, value: number): number {
    this.n++;
    let spatial = 0;
    if (this.p.spatial > 0 && this.n > 1) {
      const margin = this.p.spatial * (this.hi - this.lo);
      if (value > this.hi + margin || value < this.lo - margin) spatial = 1;
    }
    if (value > this.hi) this.hi = value;
    if (value < this.lo) this.lo = value;
    let a = this.knn.update(value);
    if (Number.isNaN(a)) return 0;
    if (this.p.logEps > 0) a = Math.log(a + this.p.logEps);
    let s: number;
    if (this.p.mode === "conformal") s = this.conformal.update(a);
    else if (this.p.mode === "likelihood") s = this.likelihood.update(a);
    else if (this.p.mode === "raw") s = Math.min(1, a);
    else {
      const m = this.likelihood.mean();
      this.likelihood.update(a);
      const r = m > 0 ? a / m : 0;
      s = r / (r + 1);
    }
    for (const e of this.extra) {
      const b = e.knn.update(value);
      if (!Number.isNaN(b)) s = Math.max(s, e.likelihood.update(this.p.logEps > 0 ? Math.log(b + this.p.logEps) : b));
    }
    s = Math.max(s, spatial);
    if (this.n <= this.p.warmup) return 0;
    if (this.hold > 0) {
      this.hold--;
      s *= 0.5;
    } else if (s >= this.p.threshold) this.hold = this.p.holdoff;
    return Math.min(Math.max(s, 0), 1);
  }

  snapshot(): DetectorState {
    const s: EnsembleState = {
      kind: "ensemble",
      version: 1,
      n: this.n,
      hold: this.hold,
      lo: this.lo,
      hi: this.hi,
      knn: this.knn.snapshot(),
      conformal: this.conformal.snapshot(),
      likelihood: this.likelihood.snapshot(),
      extra: this.extra.map((e) => ({ knn: e.knn.snapshot(), likelihood: e.likelihood.snapshot() })),
    };
    return s as unknown as DetectorState;
  }
}

export function ensembleFactory(p: EnsembleParams = DEFAULT_PARAMS): DetectorFactory {
  return {
    name: "fieldline-ensemble",
    create: () => new EnsembleDetector(p),
    restore: (s) => new EnsembleDetector(p, s as unknown as EnsembleState),
  };
}
