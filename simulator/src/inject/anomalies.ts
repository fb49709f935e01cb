/**
 * Applies a series' anomaly windows to its values. Kept per series, so `stuck` remembers the
 * value it froze and a one-sample `spike` fires once.
 */
import { Prng } from "../random";
import type { AnomalyWindow } from "./plan";

export interface Applied {
  /** undefined: the sample is dropped (dropout). */
  value: number | undefined;
  /** Types of the anomalies that changed this sample. */
  labels: string[];
}

const HOUR = 3_600_000;

export class AnomalyApplier {
  private readonly frozen = new Map<AnomalyWindow, number>();
  private readonly fired = new Set<AnomalyWindow>();
  private readonly rng: Prng;

  constructor(
    private readonly windows: readonly AnomalyWindow[],
    seed: number,
    key: string,
  ) {
    this.rng = Prng.derive(seed, "anomaly", key);
  }

  apply(t: number, value: number): Applied {
    let v: number | undefined = value;
    const labels: string[] = [];
    for (const w of this.windows) {
      const { spec, label } = w;
      const inside = spec.type === "spike" && spec.duration === 0 ? t >= label.start && !this.fired.has(w) : t >= label.start && t < label.end;
      if (!inside || v === undefined) continue;
      labels.push(spec.type);
      switch (spec.type) {
        case "spike":
          this.fired.add(w);
          v += spec.magnitude;
          break;
        case "levelShift":
          v += spec.delta;
          break;
        case "drift":
          v += (spec.ratePerHour * (t - label.start)) / HOUR;
          break;
        case "stuck":
          if (!this.frozen.has(w)) this.frozen.set(w, v);
          v = this.frozen.get(w)!;
          break;
        case "dropout":
          v = undefined;
          break;
        case "noiseBurst":
          v += spec.sigma * this.rng.normal();
          break;
      }
    }
    return { value: v, labels };
  }
}
