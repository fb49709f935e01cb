/** The streaming anomaly detector role: one instance per (device, sensor) series. */

/** JSON-serialisable state of a detector; restoring it gives identical subsequent scores. */
export type DetectorState = { kind: string; version: number } & Record<string, unknown>;

export interface Detector {
  /** Scores one point on arrival (t in ms); returns an anomaly score in [0, 1]. */
  score(t: number, value: number): number;
  snapshot(): DetectorState;
}

export interface DetectorFactory {
  name: string;
  create(): Detector;
  restore(s: DetectorState): Detector;
}

export { ALERT_THRESHOLD } from "./threshold.ts";
export { defaultDetector } from "./default.ts";
