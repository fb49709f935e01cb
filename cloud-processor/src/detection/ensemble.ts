/** The default detector: KNN nonconformity, calibrated, with suppression after a detection. */
import type { Detector, DetectorFactory, DetectorState } from "./detector.ts";
import { KnnNcm, type KnnParams, type KnnState } from "./knn.ts";
import { Conformal, Likelihood, type LikelihoodState } from "./calibrate.ts";
import type { RingState } from "./ring.ts";

export interface EnsembleParams {
  knn: KnnParams;
  calib: number;
  likeShort: number;
  likeLong: number;
  mode: "conformal" | "likelihood";
  threshold: number;
  holdoff: number;
  warmup: number;
}

export const DEFAULT_PARAMS: EnsembleParams = {
  knn: { dim: 10, ref: 400, k: 3 },
  calib: 300,
  likeShort: 10,
  likeLong: 500,
  mode: "likelihood",
  threshold: 0.999,
  holdoff: 200,
  warmup: 150,
};

interface EnsembleState {
  kind: "ensemble";
  version: 1;
  n: number;
  hold: number;
  knn: KnnState;
  conformal: RingState;
  likelihood: LikelihoodState;
}

export class EnsembleDetector implements Detector {
  private n = 0;
  private hold = 0;
  private readonly knn: KnnNcm;
  private readonly conformal: Conformal;
  private readonly likelihood: Likelihood;

  constructor(
    readonly p: EnsembleParams = DEFAULT_PARAMS,
    s?: EnsembleState,
  ) {
    this.knn = new KnnNcm(p.knn, s?.knn);
    this.conformal = new Conformal(p.calib, s?.conformal);
    this.likelihood = new Likelihood(p.likeShort, p.likeLong, s?.likelihood);
    if (s) {
      this.n = s.n;
      this.hold = s.hold;
    }
  }

  score(_t: number, value: number): number {
    this.n++;
    const a = this.knn.update(value);
    if (Number.isNaN(a)) return 0;
    let s = this.p.mode === "conformal" ? this.conformal.update(a) : this.likelihood.update(a);
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
      knn: this.knn.snapshot(),
      conformal: this.conformal.snapshot(),
      likelihood: this.likelihood.snapshot(),
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
