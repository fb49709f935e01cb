import type { DetectorFactory } from "./detector.ts";
import { ensembleFactory } from "./ensemble.ts";

/** The detector the processor runs for every (device, sensor) series. */
export const defaultDetector: DetectorFactory = ensembleFactory();
