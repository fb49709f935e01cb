/**
 * The default detector (see cloud-processor/docs/detection.md): multi-scale k-NN novelty
 * of the recent shape, each scale turned into an anomaly likelihood, plus spatial novelty
 * (a value beyond the range seen so far), and a hold-off after each detection.
 */
import type { Detector, DetectorFactory, DetectorState } from "./detector.ts";
import { KnnNcm, type KnnParams, type KnnState } from "./knn.ts";
import { Likelihood, type LikelihoodState } from "./calibrate.ts";
import { ALERT_THRESHOLD } from "./threshold.ts";
import { Spatial, type SpatialState } from "./spatial.ts";

export interface EnsembleParams {
  /** One k-NN novelty measure per time scale. */
  scales: KnnParams[];
  /** Anomaly likelihood: short averaging window, long reference window, floor of the sd (range units). */
  likelihood: { short: number; long: number; minSd: number };
  /** Spatial novelty: a value beyond the seen [min, max] by this fraction of the range scores 1. */
  spatialTolerance: number;
  /** Moving-average lengths checked for spatial novelty (1 = the raw value). */
  spatialSteps: number[];
  /** Score at or above which a point is a detection (the alerting threshold). */
  threshold: number;
  /** Points after a detection during which scores are halved (one alert per event). */
  holdoff: number;
  /** Points scored 0 at the start of a series while the detector learns. */
  warmup: number;
}

export const DEFAULT_PARAMS: EnsembleParams = {
  scales: [
    { dim: 10, step: 1, ref: 2000, stride: 1, k: 1 },
    { dim: 10, step: 4, ref: 2000, stride: 2, k: 1 },
  ],
  likelihood: { short: 10, long: 1000, minSd: 0.01 },
  spatialTolerance: 0.05,
  spatialSteps: [1],
  threshold: ALERT_THRESHOLD,
  holdoff: 150,
  warmup: 150,
};

interface EnsembleState {
  kind: "fieldline-ensemble";
  version: 1;
  n: number;
  hold: number;
  spatial: SpatialState[];
  scales: Array<{ knn: KnnState; likelihood: LikelihoodState }>;
}

export class EnsembleDetector implements Detector {
  private n = 0;
  private hold = 0;
  private readonly spatial: Spatial[];
  private readonly scales: Array<{ knn: KnnNcm; likelihood: Likelihood }>;
  /** Which part gave the last score ("spatial" or "scale<i>"); diagnostics, not state. */
  cause = "";

  constructor(
    readonly p: EnsembleParams = DEFAULT_PARAMS,
    s?: EnsembleState,
  ) {
    const l = p.likelihood;
    this.scales = p.scales.map((kp, i) => ({
      knn: new KnnNcm(kp, s?.scales[i]?.knn),
      likelihood: new Likelihood(l.short, l.long, l.minSd, s?.scales[i]?.likelihood),
    }));
    this.spatial = p.spatialSteps.map((step, i) => new Spatial(step, p.spatialTolerance, s?.spatial[i]));
    if (s) {
      this.n = s.n;
      this.hold = s.hold;
    }
  }

  score(_t: number, value: number): number {
    this.n++;
    let s = 0;
    this.cause = "";
    this.spatial.forEach((sp, i) => {
      if (sp.update(value) > s) {
        s = 1;
        this.cause = `spatial${i}`;
      }
    });
    this.scales.forEach((sc, i) => {
      const a = sc.knn.update(value);
      if (Number.isNaN(a)) return;
      const l = sc.likelihood.update(a);
      if (l > s) {
        s = l;
        this.cause = `scale${i}`;
      }
    });
    if (this.n <= this.p.warmup) return 0;
    if (this.hold > 0) {
      this.hold--;
      s *= 0.5;
    } else if (s >= this.p.threshold) this.hold = this.p.holdoff;
    return Math.min(Math.max(s, 0), 1);
  }

  snapshot(): DetectorState {
    const s: EnsembleState = {
      kind: "fieldline-ensemble",
      version: 1,
      n: this.n,
      hold: this.hold,
      spatial: this.spatial.map((sp) => sp.snapshot()),
      scales: this.scales.map((sc) => ({ knn: sc.knn.snapshot(), likelihood: sc.likelihood.snapshot() })),
    };
    return s as unknown as DetectorState;
  }
}

export function ensembleFactory(p: EnsembleParams = DEFAULT_PARAMS): DetectorFactory {
  return {
    name: "fieldline-ensemble",
    create: () => new EnsembleDetector(p),
    restore: (s) => {
      if (s.kind !== "fieldline-ensemble" || s.version !== 1) throw new Error(`cannot restore detector state of kind ${s.kind} v${s.version}`);
      return new EnsembleDetector(p, s as unknown as EnsembleState);
    },
  };
}
